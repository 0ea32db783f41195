"""CPU-heavy activity work in a child process, heartbeating while it runs.

Shared by the analytics activities (inventory, customers): the worker's event loop and its
other activities stay responsive, a cancelled activity kills the child, and the child's memory
goes back to the system when it exits. Children fork from a forkserver (a fresh single-threaded
process) that has imported the modules registered with `preload`, so each child starts in
milliseconds instead of importing pandas, scipy and statsforecast again.
"""

from __future__ import annotations

import multiprocessing
import resource
import traceback
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError, CancelledError

from activities.child_guard import die_with_parent

HEARTBEAT_S = 5.0
NOT_RETRYABLE = frozenset({"ValueError"})

T = TypeVar("T")
Beat = Callable[[dict[str, Any]], None]

CHILD_PEAK_RSS_MB: dict[str, float] = {}  # the last child's peak resident memory, per work
_PRELOAD: list[str] = []


def preload(module: str) -> None:
    """Have the forkserver import `module` (call at import time, before the first child starts;
    a module registered later is imported by each child instead)."""
    if module not in _PRELOAD:
        _PRELOAD.append(module)


def run_in_child(
    work: Callable[[Any, Beat], T],
    arg: Any,
    *,
    not_retryable: Collection[str] = NOT_RETRYABLE,
) -> T:
    """Run `work(arg, beat)` in a child process; heartbeat with its latest progress meanwhile.

    `work` must be a module-level function and `arg` picklable. A failure in the child becomes
    an ApplicationError of the exception's type name (non-retryable for `not_retryable` names);
    a child that dies (out of memory, killed) is a retryable error saying so. A cancelled
    activity kills the child and raises CancelledError, so Temporal records a cancellation.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(_PRELOAD))
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child_main, args=(work, arg, sender), daemon=True)
    child.start()
    sender.close()
    details: dict[str, Any] = {"phase": "starting"}
    try:
        while True:
            heartbeat(details)
            if receiver.poll(HEARTBEAT_S):
                try:
                    kind, value = receiver.recv()
                except EOFError:
                    child.join(5)
                    raise ApplicationError(
                        f"the analytics process exited with code {child.exitcode} "
                        "(out of memory or killed?)"
                    ) from None
                if kind == "progress":
                    details = value
                elif kind == "result":
                    result, CHILD_PEAK_RSS_MB[work.__name__] = value
                    return result
                else:
                    name, message = value
                    raise ApplicationError(message, type=name, non_retryable=name in not_retryable)
            if activity.in_activity() and (
                activity.is_cancelled() or activity.is_worker_shutdown()
            ):
                raise CancelledError("cancelled while the analytics process ran")
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()


def _child_main(work: Callable[..., Any], arg: Any, sender: Any) -> None:
    die_with_parent()  # the forkserver, which itself exits when the worker does
    def beat(details: dict[str, Any]) -> None:
        sender.send(("progress", details))

    try:
        result = work(arg, beat)
        sender.send(("result", (result, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
    except Exception as exc:  # reported to the parent, which fails the activity with it
        sender.send(("error", (type(exc).__name__, f"{exc}\n{traceback.format_exc()}")))
    finally:
        sender.close()


def heartbeat(details: dict[str, Any]) -> None:
    """Heartbeat inside an activity; a no-op outside one (benchmarks call activities directly)."""
    if activity.in_activity():
        activity.heartbeat(details)
