"""The settings cache: levels and counters, invalidation on commit, and across processes."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from db.app_settings import get_setting, read_setting, set_setting
from db.engine import session_scope
from db.settings_cache import SettingsCache, settings_cache
from tests.support import MakeShop

ROOT = Path(__file__).resolve().parents[2]


async def test_each_level_is_used_and_counted() -> None:
    async with session_scope() as session:
        await set_setting(session, "sync.interval_minutes", 7)
    loads = 0

    async def load() -> int:
        nonlocal loads
        loads += 1
        async with session_scope() as session:
            return await read_setting(session, "sync.interval_minutes")

    first = SettingsCache()
    assert await first.ready()
    assert await first.get("sync.interval_minutes", None, load) == 7  # database
    assert await first.get("sync.interval_minutes", None, load) == 7  # memory
    second = SettingsCache()  # another process: empty memory, shared Redis
    assert await second.ready()
    assert await second.get("sync.interval_minutes", None, load) == 7
    assert loads == 1
    assert first.stats()["memory"] == {"hits": 1, "misses": 1, "errors": 0}
    assert first.stats()["database"] == {"reads": 1}
    assert second.stats()["redis"]["hits"] == 1 and second.stats()["database"]["reads"] == 0
    await first.stop()
    await second.stop()


async def test_commit_invalidates_and_rollback_does_not(make_shop: MakeShop) -> None:
    shop = make_shop()
    async with session_scope() as session:
        assert await get_setting(session, "snapshots.retry_limit", shop.id) == 3  # the default
        await set_setting(session, "snapshots.retry_limit", 5)  # app-wide
    async with session_scope() as session:
        assert await get_setting(session, "snapshots.retry_limit", shop.id) == 5
        await set_setting(session, "snapshots.retry_limit", 9, shop_id=shop.id)
    async with session_scope() as session:
        assert await get_setting(session, "snapshots.retry_limit", shop.id) == 9
        assert await get_setting(session, "snapshots.retry_limit") == 5
    with pytest.raises(RuntimeError):
        async with session_scope() as session:
            await set_setting(session, "snapshots.retry_limit", 11, shop_id=shop.id)
            raise RuntimeError("abandon the change")
    async with session_scope() as session:
        assert await get_setting(session, "snapshots.retry_limit", shop.id) == 9


async def test_a_write_is_seen_by_another_process_within_a_second() -> None:
    key = "archive.retention_days"
    async with session_scope() as session:
        await set_setting(session, key, 700)
    reader = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "tests/safety/settings_reader.py"),
        key,
        "app",
        "701",
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
    )
    stdout = reader.stdout
    assert stdout is not None

    async def line() -> dict[str, Any]:
        return orjson.loads(await asyncio.wait_for(stdout.readline(), 30))

    try:
        first = await line()
        assert first["value"] == 700
        await asyncio.sleep(1.5)  # the reader now serves 700 from memory (TTL 30 s)
        async with session_scope() as session:
            await set_setting(session, key, 701)
        written_at = time.time()
        changed = await line()
        stats = (await line())["stats"]
    finally:
        await asyncio.wait_for(reader.wait(), 30)
    assert changed["value"] == 701
    assert changed["at"] - written_at < 1.0
    assert stats["subscribed"] is True
    # it really read from memory in between, not from the database each time
    assert stats["memory"]["hits"] > 20 * stats["database"]["reads"]


async def test_unknown_keys_and_bad_values_are_refused() -> None:
    async with session_scope() as session:
        with pytest.raises(KeyError, match="unknown setting"):
            await get_setting(session, "no.such.key")
        with pytest.raises(ValueError, match="at least 1"):
            await set_setting(session, "backups.retention_days", 0)
        with pytest.raises(ValueError, match="must be a int"):
            await set_setting(session, "backups.retention_days", "thirty")


def test_stats_are_exposed_for_monitoring() -> None:
    stats = settings_cache().stats()
    assert {"memory", "redis", "database", "hit_rate", "subscribed"} <= set(stats)
