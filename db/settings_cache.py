"""Two-level cache of resolved settings: an in-process dict with a TTL, then Redis, then the DB.

Why it is safe to cache: every committed `set_setting` bumps a generation counter in Redis and
publishes it. Each process listens on that channel and drops its memory level on the message,
and Redis entries are keyed by the generation, so a value read from the database before a write
can never be served after it. A process that is not (yet) subscribed keeps values in memory for
at most one second, so a change is seen everywhere within a second either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast

import orjson
import redis
import redis.asyncio as aioredis
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from db.config import get_settings
from db.redis_client import redis_client

log = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 30.0
UNSUBSCRIBED_TTL_SECONDS = 1.0  # the promise: a change is seen within a second
REDIS_TTL_SECONDS = 300  # backstop for entries of a generation nobody reads any more
DIRTY = "settings_changed"  # Session.info flag set by set_setting, read after commit

# One round trip: the current generation and the entry stored under it.
_LOOKUP = """
local gen = redis.call('GET', KEYS[1]) or '0'
return {gen, redis.call('GET', ARGV[1] .. gen .. ':' .. ARGV[2])}
"""


def namespace() -> str:
    """Keys are scoped by database name, so deployments (and test sessions) sharing Redis never mix."""
    database = make_url(get_settings().database_url).database or "default"
    return f"shopops:{database}:settings"


@dataclass
class LevelCounter:
    hits: int = 0
    misses: int = 0
    errors: int = 0


@dataclass
class SettingsCache:
    ttl: float = DEFAULT_TTL_SECONDS
    _memory: dict[tuple[str, int | None], tuple[float, Any]] = field(
        default_factory=dict[tuple[str, int | None], tuple[float, Any]]
    )
    _generation: int = 0  # local: bumped on every invalidation this process hears of
    _redis_generation: int = 0  # the last Redis generation this process has seen
    _listener: asyncio.Task[None] | None = None
    _subscribed: bool = False
    _subscribed_event: asyncio.Event = field(default_factory=asyncio.Event)
    _scripts: dict[int, Any] = field(default_factory=dict[int, Any])
    memory: LevelCounter = field(default_factory=LevelCounter)
    redis: LevelCounter = field(default_factory=LevelCounter)
    database_reads: int = 0

    async def get(self, key: str, shop_id: int | None, load: Callable[[], Awaitable[Any]]) -> Any:
        """The value from memory, else Redis, else `load()` (the database), filling both levels."""
        slot = (key, shop_id)
        entry = self._memory.get(slot)
        if entry is not None and entry[0] > time.monotonic():
            self.memory.hits += 1
            return entry[1]
        self.memory.misses += 1
        self._ensure_listener()
        generation = self._generation
        found, value, redis_gen = await self._from_redis(slot)
        if not found:
            self.database_reads += 1
            value = await load()
            if redis_gen is not None:
                await self._to_redis(slot, redis_gen, value)
        if generation == self._generation:  # no invalidation arrived while we were reading
            lifetime = self.ttl if self._subscribed else UNSUBSCRIBED_TTL_SECONDS
            self._memory[slot] = (time.monotonic() + lifetime, value)
        return value

    async def ready(self, timeout: float = 5.0) -> bool:
        """Start listening for invalidations and wait until subscribed (False on timeout)."""
        self._ensure_listener()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed_event.wait(), timeout)
        return self._subscribed

    def forget(self, generation: int | None = None) -> None:
        """Drop the memory level (an invalidation arrived)."""
        self._generation += 1
        self._memory.clear()
        if generation is not None:
            self._redis_generation = max(self._redis_generation, generation)

    def stats(self) -> dict[str, Any]:
        reads = self.memory.hits + self.memory.misses
        served = self.memory.hits + self.redis.hits
        return {
            "memory": vars(self.memory).copy(),
            "redis": vars(self.redis).copy(),
            "database": {"reads": self.database_reads},
            "reads": reads,
            "hit_rate": round(served / reads, 6) if reads else None,
            "subscribed": self._subscribed,
            "entries": len(self._memory),
        }

    def reset_stats(self) -> None:
        self.memory, self.redis, self.database_reads = LevelCounter(), LevelCounter(), 0

    async def _from_redis(self, slot: tuple[str, int | None]) -> tuple[bool, Any, int | None]:
        """(found, value, generation); generation is None when Redis could not be asked."""
        prefix = namespace()
        try:
            client = redis_client()
            script = self._scripts.get(id(client))
            if script is None:
                script = self._scripts[id(client)] = client.register_script(_LOOKUP)
            # redis-py types every reply as `Awaitable | Any` (one signature for both clients)
            found = cast(
                "list[Any]",
                await script(keys=[f"{prefix}:gen"], args=[f"{prefix}:v", _slot_key(slot)]),
            )
            gen_raw, raw = found
        except (redis.RedisError, OSError) as exc:
            self.redis.errors += 1
            log.warning("settings cache: Redis unavailable, reading the database (%s)", exc)
            return False, None, None
        generation = int(gen_raw)
        if generation > self._redis_generation:  # a write we have not heard of yet
            if self._redis_generation:
                self.forget(generation)
            self._redis_generation = generation
        if raw is None:
            self.redis.misses += 1
            return False, None, generation
        self.redis.hits += 1
        return True, orjson.loads(raw)[0], generation

    async def _to_redis(self, slot: tuple[str, int | None], generation: int, value: Any) -> None:
        key = f"{namespace()}:v{generation}:{_slot_key(slot)}"
        try:
            await redis_client().set(key, orjson.dumps([value]), ex=REDIS_TTL_SECONDS)
        except (redis.RedisError, OSError) as exc:
            self.redis.errors += 1
            log.warning("settings cache: could not store %s in Redis (%s)", key, exc)

    def _ensure_listener(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = self._listener
        if task is not None and not task.done() and task.get_loop() is loop:
            return
        self._subscribed = False
        self._subscribed_event = asyncio.Event()
        self._listener = loop.create_task(self._listen(), name="settings-cache-invalidations")

    async def _listen(self) -> None:
        """Follow the invalidation channel for the life of the event loop, reconnecting on errors."""
        channel = f"{namespace()}:invalidate"
        while True:
            client = aioredis.Redis.from_url(get_settings().redis_url)  # pyright: ignore[reportUnknownMemberType]  # redis-py: **kwargs unannotated
            pubsub = client.pubsub(ignore_subscribe_messages=True)  # pyright: ignore[reportUnknownMemberType]  # redis-py: **kwargs unannotated
            try:
                await pubsub.subscribe(channel)
                self.forget()  # anything cached before the subscription may have missed a write
                self._subscribed = True
                self._subscribed_event.set()
                while True:
                    # redis-py leaves get_message's answer unannotated: a message dict or None
                    message = cast("dict[str, Any] | None", await pubsub.get_message(timeout=5.0))
                    if message and message.get("type") == "message":
                        self.forget(int(message["data"]))
            except asyncio.CancelledError:
                raise
            except (redis.RedisError, OSError) as exc:
                log.warning("settings cache: invalidation channel lost (%s); retrying", exc)
                await asyncio.sleep(1.0)
            finally:
                self._subscribed = False
                self._subscribed_event.clear()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                    await client.aclose()

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
            self._listener = None


def _slot_key(slot: tuple[str, int | None]) -> str:
    key, shop_id = slot
    return f"{key}:{'app' if shop_id is None else shop_id}"


@lru_cache
def settings_cache() -> SettingsCache:
    """The process-wide cache."""
    return SettingsCache()


def cache_stats() -> dict[str, Any]:
    """Hit/miss counters per level, for the monitoring page."""
    return settings_cache().stats()


@lru_cache
def _sync_redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2.0)  # pyright: ignore[reportUnknownMemberType]  # redis-py: **kwargs unannotated


def publish_invalidation() -> int | None:
    """Bump the generation and tell every process; returns the new generation (None if Redis is down)."""
    settings_cache().forget()
    prefix = namespace()
    try:
        client = _sync_redis(get_settings().redis_url)
        generation = int(client.incr(f"{prefix}:gen"))
        client.publish(f"{prefix}:invalidate", generation)  # pyright: ignore[reportUnknownMemberType]  # redis-py: **kwargs unannotated
    except (redis.RedisError, OSError) as exc:
        log.error(
            "settings changed but Redis is unreachable (%s): other processes see it after "
            "their TTL, Redis entries after %s s",
            exc,
            REDIS_TTL_SECONDS,
        )
        return None
    settings_cache().forget(generation)
    return generation


def mark_changed(session: Session) -> None:
    """Called by set_setting: invalidate everywhere once this transaction commits."""
    session.info[DIRTY] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(DIRTY, False):
        publish_invalidation()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(DIRTY, None)
