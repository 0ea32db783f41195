"""Counts that trail a write by one recount (`tagged_cache.cached_trailing`): a write makes the
entry stale instead of moving its key; the reader that notices recounts in the background and
waits CACHE_REFRESH_WAIT_MS, every other reader takes the previous count meanwhile, and the
first count of all is waited for by everyone. The recounts are gated by events, never by time."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable

import pytest

from db import tagged_cache
from db.redis_client import redis_client
from tests.search.test_cache import stats
from tests.support import CacheClock


class Counter:
    """A count that goes up by one per load; `gate` holds a load until the test lets it go."""

    def __init__(self) -> None:
        self.loads = 0
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail = False

    async def __call__(self) -> int:
        self.loads += 1
        await self.gate.wait()
        if self.fail:
            raise RuntimeError("the database went away mid-count")
        return self.loads


async def refreshes_done() -> None:
    await asyncio.gather(*list(tagged_cache._REFRESHES), return_exceptions=True)


def names() -> tuple[str, str]:
    token = secrets.token_hex(4)
    return f"count:{token}", f"t:count:{token}"


async def test_after_a_write_the_previous_count_is_served_while_one_recount_runs(refresh_wait: Callable[[int], None]) -> None:
    refresh_wait(0)
    name, tag = names()
    count = Counter()
    assert await tagged_cache.cached_trailing(name, [tag], count, kind="orders") == 1
    assert await tagged_cache.cached_trailing(name, [tag], count, kind="orders") == 1
    assert count.loads == 1

    await tagged_cache.invalidate(tag)
    count.gate.clear()
    before = await stats("orders")
    readers = [tagged_cache.cached_trailing(name, [tag], count, kind="orders") for _ in range(20)]
    assert await asyncio.gather(*readers) == [1] * 20  # the previous count, at once
    assert count.loads == 2  # one recount for the twenty readers
    assert (await stats("orders"))["stale"] == before["stale"] + 20

    count.gate.set()
    await refreshes_done()
    assert await tagged_cache.cached_trailing(name, [tag], count, kind="orders") == 2
    assert count.loads == 2


async def test_the_reader_that_notices_a_write_gets_a_quick_recount(refresh_wait: Callable[[int], None]) -> None:
    refresh_wait(600_000)
    name, tag = names()
    count = Counter()
    assert await tagged_cache.cached_trailing(name, [tag], count, kind="orders") == 1
    await tagged_cache.invalidate(tag)
    assert await tagged_cache.cached_trailing(name, [tag], count, kind="orders") == 2


async def test_the_first_count_is_waited_for_by_everyone(refresh_wait: Callable[[int], None]) -> None:
    refresh_wait(0)
    name, tag = names()
    count = Counter()
    count.gate.clear()
    readers = [asyncio.create_task(tagged_cache.cached_trailing(name, [tag], count, kind="orders")) for _ in range(20)]
    while count.loads == 0:
        await asyncio.sleep(0)
    assert not any(r.done() for r in readers)  # nothing to trail yet: nobody answers
    count.gate.set()
    assert await asyncio.gather(*readers) == [1] * 20
    assert count.loads == 1


async def test_a_failed_recount_keeps_the_previous_count_and_the_next_reader_retries(
    refresh_wait: Callable[[int], None], caplog: pytest.LogCaptureFixture
) -> None:
    refresh_wait(0)
    name, tag = names()
    count = Counter()
    assert await tagged_cache.cached_trailing(name, [tag], count, kind="orders") == 1
    await tagged_cache.invalidate(tag)
    count.fail = True
    with caplog.at_level(logging.WARNING, logger="db.tagged_cache"):
        assert await tagged_cache.cached_trailing(name, [tag], count, kind="orders") == 1
        await refreshes_done()
    assert any("failed" in r.getMessage() and name in r.getMessage() for r in caplog.records)
    count.fail = False
    refresh_wait(600_000)
    assert await tagged_cache.cached_trailing(name, [tag], count, kind="orders") == 3  # lock freed


async def test_past_its_ttl_the_previous_answer_comes_without_waiting(refresh_wait: Callable[[int], None], cache_clock: CacheClock) -> None:
    """Only a write makes the noticing reader wait for the refresh; age alone never does. The
    entry outlives twice its TTL by far, so a quiet hour ends in a stale answer, not a wait."""
    refresh_wait(600_000)
    name, tag = names()
    count = Counter()
    assert await tagged_cache.cached_trailing(name, [tag], count, kind="orders") == 1
    kept = await redis_client().ttl(f"{tagged_cache._prefix()}:{name}")
    assert kept > 2 * tagged_cache.ttl_for("orders") and kept > 3000
    cache_clock.now += tagged_cache.ttl_for("orders") - 1
    assert await tagged_cache.cached_trailing(name, [tag], count, kind="orders") == 1
    assert count.loads == 1
    cache_clock.now += 2
    count.gate.clear()
    # the refresh is held, so a reader that waited for it would never answer
    assert await asyncio.wait_for(tagged_cache.cached_trailing(name, [tag], count, kind="orders"), 60) == 1
    assert count.loads == 2
    count.gate.set()
    await refreshes_done()
    assert await tagged_cache.cached_trailing(name, [tag], count, kind="orders") == 2


async def test_warming_recounts_even_a_current_entry(refresh_wait: Callable[[int], None]) -> None:
    refresh_wait(0)
    name, tag = names()
    count = Counter()
    assert await tagged_cache.cached_trailing(name, [tag], count, kind="orders") == 1
    assert await tagged_cache.cached_trailing(name, [tag], count, kind="orders", refresh=True) == 2
    assert await tagged_cache.cached_trailing(name, [tag], count, kind="orders") == 2


async def test_recounts_run_on_one_core_and_leave_the_connection_as_it_was() -> None:
    """A background recount asks for no parallel workers (both cores of a small host stalled
    every request for a second); the setting ends with its transaction, so the pooled
    connection serves the next request with the server's default."""
    from sqlalchemy import text

    from db.engine import session_scope
    from db.summaries import one_core

    async with session_scope() as session:
        default = (await session.execute(text("SHOW max_parallel_workers_per_gather"))).scalar_one()
    assert default != "0"
    async with session_scope() as session:
        await one_core(session)
        assert (await session.execute(text("SHOW max_parallel_workers_per_gather"))).scalar_one() == "0"
    async with session_scope() as session:
        assert (await session.execute(text("SHOW max_parallel_workers_per_gather"))).scalar_one() == default
