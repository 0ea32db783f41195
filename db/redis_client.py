"""Shared async Redis client per process (cache, locks, rate-limit buckets, pub/sub)."""

from __future__ import annotations

import redis.asyncio as aioredis

from db.config import get_settings

_CLIENTS: dict[str, aioredis.Redis] = {}


def redis_client() -> aioredis.Redis:
    url = get_settings().redis_url
    if url not in _CLIENTS:
        _CLIENTS[url] = aioredis.Redis.from_url(url, decode_responses=False)
    return _CLIENTS[url]


async def close_redis() -> None:
    for client in _CLIENTS.values():
        await client.aclose()
    _CLIENTS.clear()
