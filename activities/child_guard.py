"""Child processes die with the process that started them.

A worker killed with SIGKILL runs no cleanup, and one stopped with SIGTERM may exit before its
pools are shut down; their parser and analytics processes then lived on with nothing to serve,
and accumulated on hosts where workers restart. Every child we start calls `die_with_parent`
first: Linux's PR_SET_PDEATHSIG has the kernel kill it when its parent exits, a check right
after closes the race of a parent that died before that call, and a thread that watches
getppid() covers systems without prctl.

PR_SET_PDEATHSIG fires when the parent *thread* that started the child exits, so children are
started from threads that live as long as the process: the parser pool from the event loop's
thread, analytics children from the forkserver's single thread.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading

PR_SET_PDEATHSIG = 1
WATCH_S = 1.0


def _set_pdeathsig() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except OSError:
        return False


def _watch(parent: int) -> None:
    stop = threading.Event()
    while not stop.wait(WATCH_S):
        if os.getppid() != parent:
            os._exit(1)  # orphaned: nothing to serve, nobody to tell


def die_with_parent(parent: int | None = None) -> None:
    """Call first thing in a child process. `parent` is the pid the child must not outlive
    (default: its parent at this moment; pass it from the parent to close the start-up race)."""
    expected = parent if parent is not None else os.getppid()
    _set_pdeathsig()
    if os.getppid() != expected:  # the parent died before the kernel was told to watch
        os._exit(1)
    threading.Thread(target=_watch, args=(expected,), name="die-with-parent", daemon=True).start()
