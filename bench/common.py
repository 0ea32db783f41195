"""What the benchmarks that run activities on PostgreSQL share: a migrated scratch database,
seeding in another process (so the bench's own peak memory is the measured path's), a streamed
SQL baseline, stage laps and peak RSS."""

from __future__ import annotations

import multiprocessing
import os
import resource
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

ADMIN_DSN = os.environ.get(
    "SHOPOPS_BENCH_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BENCH_SHOP = "INSERT INTO shops (id, eshop_id, name, status) VALUES (1, 1, 'bench', 'active')"


@contextmanager
def scratch_database(prefix: str, keep: bool = False) -> Iterator[str]:
    """A new database `<prefix>_<random>`, migrated, that the app's settings point at
    (DATABASE_URL, and REDIS_URL unless set); dropped afterwards unless `keep` (then its name is
    printed, so a later bench can reuse the data set). Yields its libpq URL."""
    from db.config import get_settings
    from db.scratch import empty_database

    with empty_database(ADMIN_DSN, f"{prefix}_{secrets.token_hex(4)}", keep=keep) as url:
        os.environ["DATABASE_URL"] = url.replace("postgresql://", "postgresql+psycopg://")
        os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
        get_settings.cache_clear()
        try:
            from db import migrate

            migrate.upgrade(url)
            yield url
        finally:
            if keep:
                print(f"kept database {url}", flush=True)


def seed_in_child(seed: Callable[..., None], *args: Any) -> float:
    """Run `seed(*args)` in a spawned process; returns its seconds."""
    started = time.perf_counter()
    seeder = multiprocessing.get_context("spawn").Process(target=seed, args=args)
    seeder.start()
    seeder.join()
    if seeder.exitcode != 0:
        raise SystemExit(f"seeding failed with exit code {seeder.exitcode}")
    return time.perf_counter() - started


def stream_query(
    url: str, query: str, batch: int, settings: Sequence[str] = ()
) -> tuple[float, int]:
    """(seconds, rows) to read `query` through a server-side cursor `batch` rows at a time,
    after the `SET LOCAL` statements in `settings`."""
    started = time.perf_counter()
    rows = 0
    with psycopg.connect(url) as conn, conn.cursor(name="baseline") as cur:
        for setting in settings:
            conn.execute(setting)
        cur.execute(query)
        while fetched := cur.fetchmany(batch):
            rows += len(fetched)
    return time.perf_counter() - started, rows


class Laps:
    """Seconds per stage, each lap from the end of the previous one (or from creation)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._clock = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = now - self._clock
        self._clock = now

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    def line(self, digits: int) -> str:
        """`stages_s a=1.2 b=3.4 total=4.6`"""
        stages = " ".join(f"{k}={v:.{digits}f}" for k, v in self.seconds.items())
        return f"stages_s {stages} total={self.total:.{digits}f}"


def peak_rss_mb() -> float:
    """This process's peak resident memory (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
