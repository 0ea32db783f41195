"""No orphans: a worker's parser processes die with it, whether it is killed or stopped.

Only the worker's own pid gets the signal (not its process group), as when a supervisor, the
OOM killer or an operator kills it; every process it started must be gone afterwards.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from infra.sandbox.generator import ShopSpec
from tests.snapshots.conftest import connect_shop, new_eshop_id
from tests.snapshots.test_snapshot_durability import _start, _wait


def _descendants(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
async def test_parser_processes_die_with_their_worker(sig: signal.Signals, live_api, sandbox, db_session) -> None:  # type: ignore[no-untyped-def]
    spec = ShopSpec(eshop_id=new_eshop_id(), seed=61, orders=300, products=20, customers=40)
    connected = await connect_shop(sandbox, live_api, db_session, spec)
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "shopops"), "worker", "--no-schedules", "-q", "shopops-snapshots"],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # so the finally below can still clean up after a failure
    )
    children: list[psutil.Process] = []
    try:
        run = await _start(connected.shop.id)
        done = await _wait(db_session, run.id, lambda r: r.status not in ("pending", "running"), timeout=120)
        assert done.status == "completed", done
        children = _descendants(worker.pid)
        parsers = [c for c in children if "multiprocessing" in " ".join(c.cmdline())]
        assert parsers, [c.cmdline() for c in children]  # the ingest started its parser pool

        os.kill(worker.pid, sig)  # the worker alone, as a supervisor or the OOM killer would
        await asyncio.to_thread(worker.wait, 30)
        deadline = asyncio.get_running_loop().time() + 15
        while any(_alive(c) for c in children) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.1)
        left = [(c.pid, c.cmdline()) for c in children if _alive(c)]
        assert left == [], f"orphans after {sig.name}: {left}"
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
        for child in children:  # never leave a failed test's orphans behind
            if _alive(child):
                child.kill()
