"""`make run` supervises: a crashed child comes back with backoff and says so, children log to
their own files (they outlive a killed supervisor), and Ctrl-C stops them all."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psutil
import pytest

from infra import devrun

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
TICKER = [sys.executable, "-c", "import itertools, time\nfor i in itertools.count():\n print(i, flush=True); time.sleep(0.05)"]


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def until(condition, timeout: float = 60, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    """Poll for a state another process reaches (bounded, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture
def said() -> list[str]:
    return []


@pytest.fixture
def supervisor(tmp_path: Path, said: list[str]) -> Iterator[devrun.Supervisor]:
    sup = devrun.Supervisor(tmp_path, clock=ManualClock(), say=said.append)
    yield sup
    sup.stop()


async def test_a_killed_worker_is_restarted_and_serves_again(supervisor, said, temporal_env) -> None:  # type: ignore[no-untyped-def]
    from infra.temporal_client import connect
    from workflows.queues import Queue
    from workflows.system import SystemCheckWorkflow

    worker = supervisor.start(
        "worker", [str(BIN / "shopops"), "worker", "--no-schedules", f"--queue={Queue.SYSTEM.value}"]
    )
    # the child's stdout is the log file itself, not a pipe through the supervisor
    assert os.readlink(f"/proc/{worker.proc.pid}/fd/1") == str(worker.log)
    client = await connect()

    async def system_check() -> None:
        report = await client.execute_workflow(
            SystemCheckWorkflow.run, id=f"system-check:{datetime.now(UTC):%Y%m%dT%H%M%S%f}",
            task_queue=Queue.SYSTEM.value,
        )
        assert report.database == "up"

    await system_check()
    first = worker.proc.pid
    os.kill(first, signal.SIGKILL)
    worker.proc.wait()
    supervisor.supervise()
    assert said[-1].startswith("worker exited (killed by SIGKILL)") and "restarting in 1 s" in said[-1]
    assert worker.proc.pid == first  # not before its backoff is over
    supervisor.clock.now += 1
    supervisor.supervise()
    assert said[-1].startswith("worker restarted (restart 1")
    assert worker.proc.pid != first and alive(worker.proc.pid)
    await system_check()  # the new worker picks up work


def test_backoff_doubles_for_quick_crashes_and_starts_over_after_a_stable_run(supervisor, said) -> None:  # type: ignore[no-untyped-def]
    clock = supervisor.clock
    child = supervisor.start("api", [sys.executable, "-c", "raise SystemExit(3)"])
    delays = []
    for _ in range(7):
        child.proc.wait()
        supervisor.supervise()
        assert "exit code 3" in said[-1]
        delays.append(child.restart_at - clock.now)
        clock.now = child.restart_at
        supervisor.supervise()
    assert delays == [1, 2, 4, 8, 16, 30, 30]
    child.proc.wait()
    clock.now += devrun.STABLE_AFTER  # this one ran long enough to count as healthy
    supervisor.supervise()
    assert child.restart_at - clock.now == 1
    assert child.restarts == 7


def test_nothing_restarts_once_stopping(supervisor, said) -> None:  # type: ignore[no-untyped-def]
    child = supervisor.start("sandbox", TICKER)
    supervisor.stop()
    assert not alive(child.proc.pid)
    supervisor.clock.now += 100
    supervisor.supervise()
    assert child.restarts == 0 and not any("restart" in line for line in said)


SUPERVISOR_SCRIPT = textwrap.dedent(
    """
    import sys, threading
    from pathlib import Path
    from infra import devrun

    sup = devrun.Supervisor(Path(sys.argv[1]))
    child = sup.start("ticker", sys.argv[2:])
    print(child.proc.pid, flush=True)
    devrun.supervise_until_stopped(sup, threading.Event(), every=0.1)
    print("stopped", flush=True)
    """
)


@contextlib.contextmanager
def supervisor_process(data: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR_SCRIPT, str(data), *TICKER],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True,
    )
    assert proc.stdout is not None
    child_pid = int(proc.stdout.readline())
    try:
        yield proc, child_pid
    finally:
        for pid in (proc.pid, child_pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait()


def test_ctrl_c_stops_the_supervisor_and_every_child(tmp_path: Path) -> None:
    with supervisor_process(tmp_path) as (proc, child_pid):
        until(lambda: (tmp_path / "logs" / "ticker.log").stat().st_size > 0, what="the child's first line")
        os.killpg(proc.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0 and "stopped" in out
        assert not alive(child_pid)


def test_children_outlive_a_killed_supervisor_and_keep_logging(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "ticker.log"
    with supervisor_process(tmp_path) as (proc, child_pid):
        until(lambda: log.stat().st_size > 0, what="the child's first line")
        proc.kill()
        proc.wait()
        size = log.stat().st_size
        until(lambda: log.stat().st_size > size + 100, what="the child to keep writing its log")
        assert alive(child_pid)
