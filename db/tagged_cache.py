"""A Redis cache for read-heavy answers, invalidated by tags.

Each entry's key embeds the current version of every tag it depends on (`shop:3:orders`);
invalidating a tag is one INCR, after which every entry built on the old version is simply
never read again and expires by its TTL. No scans, no lists of keys to delete, and a writer
never races a reader into serving stale data after the writer's commit.

Each answer has a kind (shops, products, segments, dashboard, orders, …) that sets its TTL.
An entry is fresh for its TTL and kept as long again: once it is older than its TTL, one reader
(the holder of a short Redis lock on the key) recomputes it while the others get the stale
value (stale-while-revalidate). On a true miss the others wait for that one computation, so
a hundred concurrent misses compute once. Stale means "older than the TTL", never "built
before a write": a write moves the key, so nothing from before it is found again.
Hits, misses, stale answers, waits and answer time are counted per kind in Redis, for the
monitoring page.

Trailing answers (`cached_trailing`) are the one exception to "never built before a write":
counts (at a large shop a recount takes a few hundred ms while the change feed writes every few
seconds, so with moving keys every reader after each write would wait for one) and a run's live
state from Temporal (kind `progress`, fresh for 1 s: fifty pollers make one Temporal call a
second, not fifty). Their key does not move; the entry records the tag versions it was built
on, a write or the TTL makes it stale, and the reader that notices refreshes it in the
background: after a write it waits `CACHE_REFRESH_WAIT_MS` for the refresh, past the TTL not
at all, and else answers with the previous value, as every reader does while the refresh runs.
Such an answer trails a write by at most one refresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from functools import lru_cache
from typing import Any, TypeVar, cast

import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.engine import make_url

from db.config import get_settings
from db.redis_client import redis_client

T = TypeVar("T")
log = logging.getLogger(__name__)
COUNTERS = {"hit": 0, "miss": 0, "error": 0}

# seconds an answer of each kind is fresh: shop lists and dashboards are glanced at often and
# cheap to redo; segments change only when the nightly analysis runs
TTL_BY_KIND: dict[str, int] = {
    "shops": 60,
    "dashboard": 120,
    "orders": 300,
    "products": 300,
    "segments": 900,
    "search": 300,
    "progress": 1,
    "default": 300,
}
# a trailing answer is kept this long past its TTL, so that a quiet hour does not end in a true
# miss that every reader waits for (a 1.8 M-order recount takes seconds); stale is served and
# refreshed instead
TRAILING_KEEP_S = 3600
# a recomputation holds its key's lock at most this long (a crashed holder frees it by expiry)
LOCK_MS = 10_000
# how often a reader waiting for another's computation looks for the value
WAIT_STEP_S = 0.02
OUTCOMES = ("hit", "miss", "stale", "wait", "error")
# the cache's clock (seconds); tests replace it to age entries without waiting
clock: Callable[[], float] = time.time
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def _prefix() -> str:
    """Keys are scoped by database name, so deployments (and test sessions) sharing Redis never mix."""
    return _prefix_of(get_settings().database_url)


@lru_cache(maxsize=16)
def _prefix_of(database_url: str) -> str:
    # parsed once per URL, not on each of a request's three to six keys
    return f"shopops:{make_url(database_url).database or 'default'}:cache"


def _tag_key(tag: str) -> str:
    return f"{_prefix()}:tag:{tag}"


def _stats_key(kind: str) -> str:
    return f"{_prefix()}:stats:{kind}"


def ttl_for(kind: str) -> int:
    """The kind's TTL: `CACHE_TTLS` (e.g. "shops=30,segments=600") overrides the defaults."""
    for part in get_settings().cache_ttls.split(","):
        name, _, seconds = part.partition("=")
        if name.strip() == kind and seconds.strip().isdigit():
            return int(seconds)
    return TTL_BY_KIND.get(kind, TTL_BY_KIND["default"])


async def _key(client: Redis, name: str, tags: list[str]) -> str:
    # bytes: the client does not decode replies
    versions = cast("list[bytes | None]", await client.mget([_tag_key(t) for t in tags]) if tags else [])
    return f"{_prefix()}:{name}:" + ",".join(
        f"{t}={(v or b'0').decode()}" for t, v in zip(tags, versions, strict=True)
    )


# Per-kind outcomes and answer times are added up here and written to Redis at most every
# STATS_FLUSH_S by the read that finds them due (and by `kind_stats` before it reads): counted
# in Redis on every read, they were a round trip more per cached request, each a turn of a busy
# event loop under load. A process that dies loses at most that long of them.
STATS_FLUSH_S = 1.0
_STATS: dict[str, dict[str, float]] = {}
_STATS_LOCK = threading.Lock()  # in-process APIs of the tests serve from threads of their own
_FLUSHED = [clock()]


async def _record(client: Redis, kind: str, outcome: str, started: float) -> None:
    COUNTERS["hit" if outcome in ("hit", "stale", "wait") else outcome] += 1
    with _STATS_LOCK:
        bucket = _STATS.setdefault(kind, {})
        bucket[outcome] = bucket.get(outcome, 0) + 1
        bucket["ms"] = bucket.get("ms", 0.0) + (time.perf_counter() - started) * 1000
        now = clock()
        due = now - _FLUSHED[0] >= STATS_FLUSH_S or now < _FLUSHED[0]  # (or the clock went back)
    if due:
        await flush_stats(client)


async def flush_stats(client: Redis | None = None) -> None:
    """Write the outcomes counted since the last flush to Redis (shared by every process)."""
    with _STATS_LOCK:
        pending = dict(_STATS)
        _STATS.clear()
        _FLUSHED[0] = clock()
    if not pending:
        return
    try:
        async with (client or redis_client()).pipeline(transaction=False) as pipe:
            for kind, bucket in pending.items():
                for outcome, n in bucket.items():
                    if outcome == "ms":
                        pipe.hincrbyfloat(_stats_key(kind), "ms", n)
                    else:
                        pipe.hincrby(_stats_key(kind), outcome, int(n))
            await pipe.execute()
    except RedisError as exc:
        log.warning("cache stats of %s not counted: %s", ", ".join(pending), exc)


async def cached(
    name: str,
    tags: Iterable[str],
    load: Callable[[], Awaitable[T]],
    *,
    kind: str = "default",
    ttl: int | None = None,
    dump: Callable[[T], Any] = lambda value: value,
    restore: Callable[[Any], T] = lambda value: value,
) -> T:
    """The cached value of `name` under the tags' current versions, else `load()` stored.

    Redis trouble never fails a read: the loader answers and the error is counted.
    """
    started = time.perf_counter()
    fresh_for = ttl if ttl is not None else ttl_for(kind)
    client = redis_client()
    try:
        key = await _key(client, name, sorted(tags))
        raw = await client.get(key)
    except RedisError as exc:
        COUNTERS["error"] += 1
        log.warning("cache %s unavailable: %s", name, exc)
        return await load()
    if raw is not None:
        entry = orjson.loads(raw)
        if clock() - entry["at"] < fresh_for:
            await _record(client, kind, "hit", started)
            return restore(entry["v"])
    while True:
        token = secrets.token_hex(8)
        try:
            locked = await client.set(f"{key}:lock", token, nx=True, px=LOCK_MS)
        except RedisError:
            locked = None
        if locked:
            try:
                try:  # filled between our read and our lock?
                    again = await client.get(key)
                except RedisError:
                    again = None
                if again is not None and clock() - orjson.loads(again)["at"] < fresh_for:
                    await _record(client, kind, "wait", started)
                    return restore(orjson.loads(again)["v"])
                value = await load()
                await _store(client, key, name, {"at": clock(), "v": dump(value)}, 2 * fresh_for)
            finally:
                await _release(client, key, token)
            await _record(client, kind, "miss", started)
            return value
        if raw is not None:  # another reader is refreshing it: the stale answer will do
            await _record(client, kind, "stale", started)
            return restore(orjson.loads(raw)["v"])
        if got := await _wait_step(client, key, kind, started, load, restore):
            return got[0]


async def _store(client: Redis, key: str, name: str, entry: dict[str, Any], keep_s: int) -> None:
    """Store a computed entry; Redis trouble is counted and logged, never raised."""
    try:
        await client.set(key, orjson.dumps(entry), ex=keep_s)
    except RedisError as exc:
        COUNTERS["error"] += 1
        log.warning("cache %s not stored: %s", name, exc)


async def _release(client: Redis, key: str, token: str) -> None:
    """Free the key's lock if we still hold it (else it expires by itself)."""
    with contextlib.suppress(RedisError):
        await client.eval(_RELEASE, 1, f"{key}:lock", token)


async def _wait_step(
    client: Redis, key: str, kind: str, started: float, load: Callable[[], Awaitable[T]],
    restore: Callable[[Any], T],
) -> list[T]:
    """One step of waiting for another reader's computation: [its value], [a load of our own]
    when Redis fails, or [] while it is not there yet."""
    await asyncio.sleep(WAIT_STEP_S)
    try:
        raw = await client.get(key)
    except RedisError:
        return [await load()]
    if raw is None:
        return []
    await _record(client, kind, "wait", started)
    return [restore(orjson.loads(raw)["v"])]


_REFRESHES: set[asyncio.Task[Any]] = set()  # running background refreshes (kept from GC)


async def _refresh(
    client: Redis, key: str, name: str, versions: list[str], load: Callable[[], Awaitable[T]],
    dump: Callable[[T], Any], fresh_for: int,
) -> asyncio.Task[T] | None:
    """The refresh of `key` as a task of its own, or None while another reader holds its lock."""
    token = secrets.token_hex(8)
    try:
        if not await client.set(f"{key}:lock", token, nx=True, px=LOCK_MS):
            return None
    except RedisError:
        pass  # no lock to be had: refresh anyway, the source answers

    async def run() -> T:
        try:
            value = await load()
            entry = {"at": clock(), "tags": versions, "v": dump(value)}
            await _store(client, key, name, entry, max(2 * fresh_for, TRAILING_KEEP_S))
            return value
        finally:
            await _release(client, key, token)

    task = asyncio.create_task(run(), name=f"refresh {name}")
    _REFRESHES.add(task)
    task.add_done_callback(_refresh_done)
    return task


def _refresh_done(task: asyncio.Task[Any]) -> None:
    _REFRESHES.discard(task)
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.warning("background %s failed: %s", task.get_name(), exc)


async def cached_trailing(
    name: str,
    tags: Iterable[str],
    load: Callable[[], Awaitable[T]],
    *,
    kind: str = "default",
    dump: Callable[[T], Any] = lambda value: value,
    restore: Callable[[Any], T] = lambda value: value,
    refresh: bool = False,
) -> T:
    """An answer that may trail a write by one refresh (see the module's docstring).

    `load` must open its own session: a refresh may outlive the request that started it.
    `refresh=True` (warming after an ingest) refreshes now and waits for it, unless another
    reader is already refreshing.
    """
    started = time.perf_counter()
    fresh_for = ttl_for(kind)
    client = redis_client()
    tags = sorted(tags)
    key = f"{_prefix()}:{name}"
    try:
        raw, *found = cast("list[bytes | None]", await client.mget([key, *map(_tag_key, tags)]))
    except RedisError as exc:
        COUNTERS["error"] += 1
        log.warning("cache %s unavailable: %s", name, exc)
        return await load()
    versions = [(v or b"0").decode() for v in found]
    if raw is not None:
        entry = orjson.loads(raw)
        written = entry.get("tags") != versions
        if not refresh and not written and clock() - entry["at"] < fresh_for:
            await _record(client, kind, "hit", started)
            return restore(entry["v"])
        task = await _refresh(client, key, name, versions, load, dump, fresh_for)
        if task is not None:
            # after a write the fresh answer is worth a short wait; merely past its TTL it is not
            wait_s = None if refresh else get_settings().cache_refresh_wait_ms / 1000 if written else 0
            if wait_s != 0 and (await asyncio.wait({task}, timeout=wait_s))[0]:
                await _record(client, kind, "miss", started)
                return task.result()
        await _record(client, kind, "stale", started)
        return restore(entry["v"])
    while True:  # nothing to trail: wait for the one load
        task = await _refresh(client, key, name, versions, load, dump, fresh_for)
        if task is not None:
            value = await asyncio.shield(task)  # a reader that goes away leaves the load running
            await _record(client, kind, "miss", started)
            return value
        if got := await _wait_step(client, key, kind, started, load, restore):
            return got[0]


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


async def kind_stats() -> list[dict[str, Any]]:
    """Per kind since the counters began: reads by outcome, hit rate and mean answer time."""
    client = redis_client()
    await flush_stats(client)  # this process's own reads count at once
    out: list[dict[str, Any]] = []
    for kind in sorted(TTL_BY_KIND):
        raw = cast("dict[bytes, bytes]", await client.hgetall(_stats_key(kind)))
        counts = {o: int(raw.get(o.encode(), b"0")) for o in OUTCOMES}
        reads = sum(counts.values())
        if not reads:
            continue
        served = counts["hit"] + counts["stale"] + counts["wait"]
        out.append({
            "kind": kind, "ttl_s": ttl_for(kind), "reads": reads, **counts,
            "hit_rate": round(100 * served / reads, 2),
            "mean_ms": round(float(raw.get(b"ms", b"0")) / reads, 3),
        })
    return out
