"""Settings reads: database vs Redis vs in-process memory, under a realistic read mix.

Runs against a scratch database it creates and drops. Baseline: the uncached database read
(`read_setting`) measured in the same run. Last line:
`ratio=<DB read µs ÷ mean µs of the mixed workload (reads with writes)> ratio_hot=<DB read µs ÷
hot cached read µs> mix_us=… cached_us=<a> redis_us=<b> db_us=<c> hit_rate=<h>`: the headline
is the mixed workload, the one a real process sees.
"""

from __future__ import annotations

import asyncio
import os
import random
import resource
import secrets
import time
from collections.abc import Awaitable, Callable

import psycopg

ADMIN_DSN = os.environ.get(
    "SHOPOPS_BENCH_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SHOPS = 20
MIX_READS = 200_000
WRITES_IN_MIX = 4
KEYS = [
    ("snapshots.retry_limit", True),
    ("snapshots.chunk_lines", False),
    ("sync.interval_minutes", True),
    ("partitions.future_quarters", False),
    ("archive.retention_days", False),
    ("backups.retention_days", False),
    ("retention.notifications_days", False),
    ("cleanup.batch_size", False),
]


async def _timed(reads: int, read: Callable[[int], Awaitable[object]]) -> float:
    start = time.perf_counter()
    for i in range(reads):
        await read(i)
    return (time.perf_counter() - start) / reads * 1e6


async def run() -> dict[str, float]:
    from sqlalchemy import insert

    from db.app_settings import get_setting, read_setting, set_setting
    from db.engine import dispose_engines, session_scope
    from db.models import Shop
    from db.settings_cache import SettingsCache, settings_cache

    async with session_scope() as session:
        result = await session.execute(
            insert(Shop).returning(Shop.id),
            [{"eshop_id": 900000 + i, "name": f"Bench {i}"} for i in range(SHOPS)],
        )
        shop_ids = list(result.scalars())
        for shop_id in shop_ids[::3]:
            await set_setting(session, "sync.interval_minutes", 10, shop_id=shop_id)
        await set_setting(session, "archive.retention_days", 800)

    slots = [(key, random.choice(shop_ids) if per_shop else None) for key, per_shop in KEYS]
    slots += [(key, shop_id) for key, per_shop in KEYS if per_shop for shop_id in shop_ids]

    async with session_scope() as session:
        db_us = await _timed(2000, lambda i: read_setting(session, *slots[i % len(slots)]))

        no_memory = SettingsCache(ttl=0.0)  # every read goes to Redis
        await no_memory.ready()
        for slot in slots:
            await no_memory.get(*slot, lambda s=slot: read_setting(session, *s))
        redis_us = await _timed(5000, lambda i: no_memory.get(*slots[i % len(slots)], _never))
        await no_memory.stop()

        cache = settings_cache()
        await cache.ready()
        cache.reset_stats()
        # a realistic mix: a few hot keys, a long tail of per-shop keys, rare writes
        weights = [1.0 / (rank + 1) for rank in range(len(slots))]
        picks = random.choices(slots, weights=weights, k=MIX_READS)
        write_every = MIX_READS // (WRITES_IN_MIX + 1)
        start = time.perf_counter()
        for i, (key, shop_id) in enumerate(picks):
            if i and i % write_every == 0:
                async with session_scope() as writer:
                    await set_setting(writer, "snapshots.chunk_lines", 20000 + i)
            await get_setting(session, key, shop_id)
        mix_us = (time.perf_counter() - start) / MIX_READS * 1e6
        stats = cache.stats()
        cached_us = await _timed(100_000, lambda i: get_setting(session, *slots[i % len(slots)]))
        await cache.stop()
    await dispose_engines()
    return {
        "db_us": db_us,
        "redis_us": redis_us,
        "cached_us": cached_us,
        "mix_us": mix_us,
        "hit_rate": stats["hit_rate"],
        "memory_hits": stats["memory"]["hits"],
        "redis_hits": stats["redis"]["hits"],
        "db_reads": stats["database"]["reads"],
    }


async def _never() -> None:
    raise AssertionError("the Redis level should have answered")


def main() -> None:
    name = f"shopops_bench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        os.environ["DATABASE_URL"] = (
            ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
            + f"/{name}"
        )
        from db import migrate
        from db.config import get_settings

        get_settings.cache_clear()
        migrate.upgrade()
        r = asyncio.run(run())
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(
        f"mix: {MIX_READS} reads, {WRITES_IN_MIX} writes, mean {r['mix_us']:.2f} µs; "
        f"memory hits {r['memory_hits']}, redis hits {r['redis_hits']}, db reads {r['db_reads']}"
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak_rss_mb={peak_mb:.1f}")
    print(
        f"ratio={r['db_us'] / r['mix_us']:.1f} ratio_hot={r['db_us'] / r['cached_us']:.1f} "
        f"mix_us={r['mix_us']:.2f} cached_us={r['cached_us']:.2f} "
        f"redis_us={r['redis_us']:.1f} db_us={r['db_us']:.1f} hit_rate={r['hit_rate']:.4f}"
    )


if __name__ == "__main__":
    main()
