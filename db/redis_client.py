"""Shared async Redis client per process (cache, locks, rate-limit buckets, pub/sub)."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from db.config import get_settings

_CLIENTS: dict[tuple[str, int], aioredis.Redis] = {}


def _loop_id() -> int:
    try:
        return id(asyncio.get_running_loop())
    except RuntimeError:
        return 0


def redis_client() -> aioredis.Redis:
    """One client per URL and event loop (its connections belong to the loop)."""
    key = (get_settings().redis_url, _loop_id())
    if key not in _CLIENTS:
        _CLIENTS[key] = aioredis.Redis.from_url(key[0], decode_responses=False)  # pyright: ignore[reportUnknownMemberType]  # redis-py: **kwargs unannotated
    return _CLIENTS[key]


async def close_redis() -> None:
    loop = _loop_id()
    for key in [k for k in _CLIENTS if k[1] == loop]:
        await _CLIENTS.pop(key).aclose()
