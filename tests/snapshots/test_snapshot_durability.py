"""Durability: a worker killed mid-ingest resumes from its heartbeat; long runs continue-as-new;
histories replay against the current workflow code."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Row, text
from sqlalchemy.orm import Session
from temporalio.client import WorkflowExecutionStatus, WorkflowHistory
from temporalio.worker import Replayer

from api.services.snapshots import start_snapshot
from db.engine import session_scope
from db.models import Shop, SnapshotRun
from infra.sandbox.generator import ShopSpec
from infra.sandbox.testing import RunningSandbox
from infra.temporal_client import connect
from tests.snapshots.conftest import connect_shop, new_eshop_id
from tests.snapshots.test_snapshot_e2e import db_orders, expected_orders
from workflows.snapshots import SnapshotSweepWorkflow, SnapshotWorkflow

HISTORIES = Path(__file__).parent / "histories"


def _run_row(db: Session, run_id: int) -> Row[Any]:
    db.expire_all()
    return db.execute(
        text("SELECT status, processed_lines, total_lines, resume_count, resumed_from_line, workflow_id "
             "FROM snapshot_runs WHERE id = :r"),
        {"r": run_id},
    ).one()


def _spawn_worker() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "shopops"), "worker", "--no-schedules", "-q", "shopops-snapshots"],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


async def _set_chunk_lines(lines: int) -> None:
    """Change the setting and wait until this process's settings cache has seen it."""
    from db.app_settings import get_setting, set_setting

    async with session_scope() as session:
        await set_setting(session, "snapshots.chunk_lines", lines)
    for _ in range(100):
        async with session_scope() as session:
            if await get_setting(session, "snapshots.chunk_lines") == lines:
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the settings cache never saw the new chunk size")


async def _start(shop_id: int, params: dict[str, Any] | None = None) -> SnapshotRun:
    client = await connect()
    async with session_scope() as session:
        shop = await session.get(Shop, shop_id)
        return await start_snapshot(session, client, shop, "orders", trigger="test", params=params or {})


async def _wait(
    db: Session, run_id: int, predicate: Callable[[Row[Any]], bool], timeout: float
) -> Row[Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        row = _run_row(db, run_id)
        if predicate(row):
            return row
        await asyncio.sleep(0.1)
    raise AssertionError(f"run {run_id} never reached the state; last {row}")


@pytest.mark.slow
async def test_worker_killed_mid_ingest_resumes_from_heartbeat(live_api: str, sandbox: RunningSandbox, db_session: Session) -> None:
    spec = ShopSpec(eshop_id=new_eshop_id(), seed=17, orders=24000, products=300, customers=4000, mean_items=1.5)
    connected = await connect_shop(sandbox, live_api, db_session, spec)
    await _set_chunk_lines(12000)
    first = _spawn_worker()
    try:
        run = await _start(connected.shop.id)
        row = await _wait(db_session, run.id, lambda r: r.processed_lines >= 4000, timeout=120)
        assert row.processed_lines < 12000, "kill must land inside the first chunk"
        os.killpg(first.pid, signal.SIGKILL)  # the worker and its parser process, no goodbye
        first.wait(10)
        killed_at = row.processed_lines
        second = _spawn_worker()
        try:
            done = await _wait(db_session, run.id, lambda r: r.status not in ("pending", "running"), timeout=180)
        finally:
            os.killpg(second.pid, signal.SIGTERM)
            second.wait(20)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
        await _set_chunk_lines(20000)
    assert done.status == "completed", done
    assert done.resume_count >= 1 and done.resumed_from_line >= killed_at + 1  # not from zero
    assert db_orders(db_session, connected.shop.id) == expected_orders(spec)  # no gaps
    dupes = db_session.execute(
        text("SELECT count(*) - count(DISTINCT (code, created_at)) FROM orders WHERE shop_id = :s"),
        {"s": connected.shop.id},
    ).scalar_one()
    assert dupes == 0


async def test_long_snapshot_continues_as_new(worker: list[object], live_api: str, sandbox: RunningSandbox, db_session: Session) -> None:
    spec = ShopSpec(eshop_id=new_eshop_id(), seed=23, orders=900, products=40, customers=200)
    connected = await connect_shop(sandbox, live_api, db_session, spec)
    await _set_chunk_lines(200)
    try:
        run = await _start(connected.shop.id, {"chunks_per_run": 2})
        done = await _wait(db_session, run.id, lambda r: r.status not in ("pending", "running"), timeout=90)
    finally:
        await _set_chunk_lines(20000)
    assert done.status == "completed"
    assert db_orders(db_session, connected.shop.id) == expected_orders(spec)
    client = await connect()
    first_run = client.get_workflow_handle(done.workflow_id, first_execution_run_id=None)
    history = [e async for e in first_run.fetch_history_events()]
    assert len(history) < 400
    continued = 0
    for _ in range(50):  # visibility is eventually consistent
        runs = [r async for r in client.list_workflows(f"WorkflowId = '{done.workflow_id}'")]
        continued = sum(1 for r in runs if r.status == WorkflowExecutionStatus.CONTINUED_AS_NEW)
        if continued >= 2:
            break
        await asyncio.sleep(0.2)
    assert continued == 2, [(r.run_id, r.status) for r in runs]  # 5 chunks of 200 lines, 2 per run


async def test_snapshot_history_replays(worker: list[object], live_api: str, sandbox: RunningSandbox, db_session: Session) -> None:
    """Record a fresh history and replay it, and replay every stored history, with today's code."""
    spec = ShopSpec(eshop_id=new_eshop_id(), seed=29, orders=120, products=20, customers=40)
    connected = await connect_shop(sandbox, live_api, db_session, spec)
    run = await _start(connected.shop.id)
    await _wait(db_session, run.id, lambda r: r.status not in ("pending", "running"), timeout=60)
    client = await connect()
    fresh = await client.get_workflow_handle(run.workflow_id).fetch_history()
    HISTORIES.mkdir(exist_ok=True)
    recorded = HISTORIES / "snapshot_workflow.json"
    if os.environ.get("SHOPOPS_RECORD_HISTORIES") or not recorded.exists():
        recorded.write_text(fresh.to_json())
    replayer = Replayer(workflows=[SnapshotWorkflow, SnapshotSweepWorkflow])
    await replayer.replay_workflow(fresh)
    for path in sorted(HISTORIES.glob("*.json")):
        stored = WorkflowHistory.from_json(json.loads(path.read_text()).get("workflowId", path.stem), path.read_text())
        await replayer.replay_workflow(stored)
