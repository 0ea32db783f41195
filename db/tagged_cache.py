"""A Redis cache for read-heavy answers, invalidated by tags.

Each entry's key embeds the current version of every tag it depends on (`shop:3:orders`);
invalidating a tag is one INCR, after which every entry built on the old version is simply
never read again and expires by its TTL. No scans, no lists of keys to delete, and a writer
never races a reader into serving stale data after the writer's commit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar, cast

import orjson
from redis.exceptions import RedisError
from sqlalchemy.engine import make_url

from db.config import get_settings
from db.redis_client import redis_client

T = TypeVar("T")
log = logging.getLogger(__name__)
COUNTERS = {"hit": 0, "miss": 0, "error": 0}


def _prefix() -> str:
    """Keys are scoped by database name, so deployments (and test sessions) sharing Redis never mix."""
    return f"shopops:{make_url(get_settings().database_url).database or 'default'}:cache"


def _tag_key(tag: str) -> str:
    return f"{_prefix()}:tag:{tag}"


async def cached(
    name: str,
    tags: Iterable[str],
    load: Callable[[], Awaitable[T]],
    *,
    ttl: int = 300,
    dump: Callable[[T], Any] = lambda value: value,
    restore: Callable[[Any], T] = lambda value: value,
) -> T:
    """The cached value of `name` under the tags' current versions, else `load()` stored for `ttl` s.

    Redis trouble never fails a read: the loader answers and the error is counted.
    """
    tags = sorted(tags)
    client = redis_client()
    try:
        # bytes: the client does not decode replies
        versions = cast("list[bytes | None]", await client.mget([_tag_key(t) for t in tags]) if tags else [])
        key = f"{_prefix()}:{name}:" + ",".join(f"{t}={(v or b'0').decode()}" for t, v in zip(tags, versions, strict=True))
        raw = await client.get(key)
    except RedisError as exc:
        COUNTERS["error"] += 1
        log.warning("cache %s unavailable: %s", name, exc)
        return await load()
    if raw is not None:
        COUNTERS["hit"] += 1
        return restore(orjson.loads(raw))
    COUNTERS["miss"] += 1
    value = await load()
    try:
        await client.set(key, orjson.dumps(dump(value)), ex=ttl)
    except RedisError as exc:
        COUNTERS["error"] += 1
        log.warning("cache %s not stored: %s", name, exc)
    return value


async def invalidate(*tags: str) -> None:
    """Every entry built on these tags is stale from now on (call after the writer commits)."""
    if not tags:
        return
    try:
        async with redis_client().pipeline(transaction=False) as pipe:
            for tag in tags:
                pipe.incr(_tag_key(tag))
            await pipe.execute()
    except RedisError as exc:  # entries then live out their TTL
        COUNTERS["error"] += 1
        log.warning("cache tags %s not invalidated: %s", tags, exc)


def shop_tag(shop_id: int, resource: str) -> str:
    return f"shop:{shop_id}:{resource}"


def counters() -> dict[str, int]:
    """Cumulative hits and misses, flushed to the monitoring page like the settings cache's."""
    return {"redis.hit": COUNTERS["hit"], "redis.miss": COUNTERS["miss"]}
