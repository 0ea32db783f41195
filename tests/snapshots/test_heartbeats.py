"""Heartbeats from work in a thread reach the SDK on the event loop's thread, never from the
worker thread (where `activity.heartbeat()` fails with "no running event loop")."""

from __future__ import annotations

import asyncio
import gzip
import os
import threading
from pathlib import Path

import pytest
from temporalio.testing import ActivityEnvironment

from activities.heartbeats import WorkAbandoned, in_thread
from activities.snapshots import pipeline as snapshots
from activities.snapshots.files import sha256_of


async def test_unpack_progress_is_heartbeated_from_the_loop_thread(tmp_path: Path) -> None:
    raw = tmp_path / "result.json.gz"
    with gzip.open(raw, "wb") as out:
        for _ in range(120):  # random text barely compresses: many 1 MiB reads, a report per 50 000 lines
            out.write(b"".join(b'{"pad": "%s"}\n' % os.urandom(32).hex().encode() for _ in range(1000)))
    loop_thread = threading.get_ident()
    beats: list[tuple[int, tuple[object, ...]]] = []
    env = ActivityEnvironment()
    env.on_heartbeat = lambda *details: beats.append((threading.get_ident(), details))
    file = await env.run(snapshots._prepare, 1, 10**9, raw, sha256_of(raw), raw.stat().st_size)
    assert file.lines == 120_000
    reported = [int(str(d[0]).split()[1]) for _, d in beats if str(d[0]).startswith("unpacked")]
    assert len(reported) >= 2 and reported == sorted(reported) and reported[0] >= 50_000, beats
    assert {thread for thread, _ in beats} == {loop_thread}


async def test_a_cancelled_activity_stops_its_thread_at_the_next_report() -> None:
    started, stopped = threading.Event(), threading.Event()
    outcome: list[BaseException] = []

    def work(report) -> None:  # type: ignore[no-untyped-def]
        started.set()
        try:
            while True:
                report("still going")
                threading.Event().wait(0.01)
        except WorkAbandoned as exc:
            outcome.append(exc)
            stopped.set()

    env = ActivityEnvironment()
    task = asyncio.ensure_future(env.run(in_thread, work, "looping"))
    await asyncio.to_thread(started.wait, 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(stopped.wait, 10)
    assert isinstance(outcome[0], WorkAbandoned)
