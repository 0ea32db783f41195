"""A second process for the invalidation test: reads a setting in a loop and reports each change."""

from __future__ import annotations

import asyncio
import sys
import time

import orjson

from db.app_settings import get_setting
from db.engine import session_scope
from db.settings_cache import cache_stats


async def main(key: str, shop_id: int | None, until: str) -> None:
    last = object()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        async with session_scope() as session:
            value = await get_setting(session, key, shop_id)
        if value != last:
            print(orjson.dumps({"value": value, "at": time.time()}).decode(), flush=True)
            last = value
        if str(value) == until:
            break
        await asyncio.sleep(0.01)
    print(orjson.dumps({"stats": cache_stats()}).decode(), flush=True)


if __name__ == "__main__":
    shop = None if sys.argv[2] == "app" else int(sys.argv[2])
    asyncio.run(main(sys.argv[1], shop, sys.argv[3]))
