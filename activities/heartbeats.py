"""Heartbeats for long activity work, including work that runs in a thread.

`activity.heartbeat()` of an async activity must run on the worker's event loop (the SDK
schedules the send as a task there); called from an `asyncio.to_thread` worker it fails with
"no running event loop" and the activity fails. So blocking work gets a `report` callback that
hands its progress back to the loop with `call_soon_threadsafe`, and the loop also heartbeats
the latest progress on a timer while the thread works.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from temporalio import activity

HEARTBEAT_S = 10.0

T = TypeVar("T")
Report = Callable[..., None]


class WorkAbandoned(RuntimeError):
    """Raised inside the thread at its next report once the activity stopped waiting for it."""


def beat(*details: object) -> None:
    """Heartbeat inside an activity; a no-op outside one (benchmarks call activities directly)."""
    if activity.in_activity():
        activity.heartbeat(*details)


async def with_heartbeats(
    work: Awaitable[T], label: str, latest: Callable[[], Sequence[object]] | None = None
) -> T:
    """Await `work`, heartbeating every 10 s (`latest()` or the label and seconds elapsed) so
    Temporal knows a long dump, restore or unpack is alive; a cancelled activity cancels it."""
    task = asyncio.ensure_future(work)
    started = time.monotonic()
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=HEARTBEAT_S)
            if done:
                return task.result()
            beat(*(latest() if latest else (label, round(time.monotonic() - started))))
    except asyncio.CancelledError:
        task.cancel()  # stops pg_dump / pg_restore with the activity
        raise


class _ThreadReport:
    """The `report` a thread calls: thread-safe, it never touches the SDK from the thread."""

    def __init__(self, label: str) -> None:
        self._loop = asyncio.get_running_loop()
        self._context = contextvars.copy_context()  # the activity's context, for activity.heartbeat
        self.latest: tuple[object, ...] = (label,)
        self.stopped = threading.Event()

    def __call__(self, *details: object) -> None:
        if self.stopped.is_set():
            raise WorkAbandoned("the activity no longer waits for this work")
        self.latest = details
        try:
            self._loop.call_soon_threadsafe(beat, *details, context=self._context)
        except RuntimeError as exc:  # the loop closed: the worker is going away
            raise WorkAbandoned(str(exc)) from exc


async def in_thread(work: Callable[[Report], T], label: str) -> T:
    """Run blocking `work(report)` in a thread. `report(*details)` may be called from that thread
    as often as it likes; each call becomes a heartbeat sent from the event loop, and the latest
    details are re-sent every 10 s while the work is silent. When the activity is cancelled the
    work stops at its next report."""
    report = _ThreadReport(label)
    try:
        return await with_heartbeats(asyncio.to_thread(work, report), label, lambda: report.latest)
    finally:
        report.stopped.set()
