"""Workflows and queues against a real Temporal dev server: a failed run is listed with its
reason and retried from the page, a backlog nobody polls is a critical queue wait that raises an
alert, schedules pause and trigger, and the monitoring workflows run on the app's worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError
from temporalio.worker import Replayer, Worker

from infra.temporal_client import connect, ensure_schedules
from tests.monitoring.conftest import check
from tests.monitoring.shipping import BROKEN, TEST_QUEUE, ShipOrderWorkflow, ship_parcel
from tests.support import assert_problem
from workflows.monitoring import (
    CHECKS_WORKFLOW_ID,
    SNAPSHOT_WORKFLOW_ID,
    Evaluation,
    MonitoringChecksWorkflow,
    MonitoringSnapshotWorkflow,
    SnapshotOutcome,
)
from workflows.queues import Queue
from workflows.schedules import APP_SCHEDULES

HISTORIES = Path(__file__).parent / "histories"


async def eventually(probe: Any, timeout: float = 15.0) -> Any:
    """Visibility is eventually consistent: poll until `probe()` returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await probe()
        if found or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.3)


@pytest.fixture
async def own_namespace(temporal_env: Any) -> AsyncIterator[str]:
    """A fresh Temporal namespace for the test, app included (TEMPORAL_NAMESPACE).

    The failed-runs check counts every failed, timed-out or terminated run of the namespace in
    the last hour; on the session's shared server that includes whatever earlier tests failed
    or terminated, so only a namespace of the test's own makes "one failed run" a fact."""
    from google.protobuf.duration_pb2 import Duration
    from temporalio.api.workflowservice.v1 import RegisterNamespaceRequest

    from db.config import get_settings
    from infra.temporal_client import forget_clients

    namespace = f"monitoring-{uuid.uuid4().hex[:8]}"
    await temporal_env.client.workflow_service.register_namespace(
        RegisterNamespaceRequest(namespace=namespace, workflow_execution_retention_period=Duration(seconds=86400))
    )
    saved = os.environ.get("TEMPORAL_NAMESPACE")
    os.environ["TEMPORAL_NAMESPACE"] = namespace
    get_settings.cache_clear()
    forget_clients()
    try:
        yield namespace
    finally:
        if saved is None:
            os.environ.pop("TEMPORAL_NAMESPACE", None)
        else:
            os.environ["TEMPORAL_NAMESPACE"] = saved
        get_settings.cache_clear()
        forget_clients()


async def test_failed_run_is_listed_with_its_reason_and_retried(admin_api: httpx.AsyncClient, own_namespace: str) -> None:
    client = await connect()
    assert client.namespace == own_namespace
    BROKEN["on"] = True
    workflow_id = f"ship:{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=TEST_QUEUE, workflows=[ShipOrderWorkflow], activities=[ship_parcel]):
        handle = await client.start_workflow(ShipOrderWorkflow.run, "4711", id=workflow_id, task_queue=TEST_QUEUE)
        with pytest.raises(Exception):
            await handle.result()

        async def failed_listed() -> dict[str, Any] | None:
            body = (await admin_api.get("/api/admin/monitoring")).json()
            runs = [r for r in body["parts"]["workflows"]["failed_runs"] if r["workflow_id"] == workflow_id]
            return body if runs else None

        body = await eventually(failed_listed)
        assert body, "the failed run never appeared on the monitoring page"
        failed = check(body, "failed_workflows")
        assert failed["state"] == "warn" and failed["value"] >= 1
        run = next(r for r in body["parts"]["workflows"]["failed_runs"] if r["workflow_id"] == workflow_id)
        assert run["status"] == "failed" and run["workflow_type"] == "ShipOrderWorkflow"
        assert "carrier API refused parcel for order 4711" in run["reason"]
        assert run["temporal_url"].endswith(f"/workflows/{workflow_id}/{handle.result_run_id}/history")
        assert sum(h["failed"] for h in body["parts"]["workflows"]["failures_by_hour"]) >= 1
        # the activity's exception was captured with the activity as its source
        await admin_api.get("/api/admin/monitoring")
        errors = (await admin_api.get("/api/admin/monitoring")).json()["parts"]["errors"]["groups"]
        carrier = [g for g in errors if "carrier API refused parcel" in g["message"]]
        assert carrier and carrier[0]["source"] == "activity" and carrier[0]["last_trace_id"]
        assert carrier[0]["message"] == "carrier API refused parcel for order <n>"

        BROKEN["on"] = False
        retried = await admin_api.post(
            f"/api/admin/monitoring/workflows/{workflow_id}/retry", json={"run_id": handle.result_run_id}
        )
        assert retried.status_code == 202, retried.text
        new_run = retried.json()["run_id"]
        assert new_run != handle.result_run_id
        assert await client.get_workflow_handle(workflow_id, run_id=new_run).result() == "shipped 4711"
        again = await admin_api.post(f"/api/admin/monitoring/workflows/{workflow_id}/retry", json={"run_id": new_run})
        assert_problem(again, 409)


async def test_backlog_without_workers_is_a_critical_queue_wait_and_one_alert(admin_api: httpx.AsyncClient, own_namespace: str) -> None:
    # every app queue has a worker now (issue 19), and the server remembers a poller for
    # minutes after it stopped: only a namespace of the test's own has a queue nobody polled
    from db.engine import libpq_url
    from infra.monitoring import alerts
    from infra.monitoring.report import build_report

    client = await connect()
    # a queue no worker serves (the feeds workflow took `exports`)
    stuck = await client.start_workflow("NotifyWorkflow", id=f"notify:{uuid.uuid4().hex[:6]}", task_queue=Queue.NOTIFICATIONS.value)
    try:
        async def waiting() -> dict[str, Any] | None:
            body = (await admin_api.get("/api/admin/monitoring")).json()
            return body if check(body, "queue_wait")["state"] == "critical" else None

        body = await eventually(waiting)
        assert body, "the stranded backlog was never reported"
        wait = check(body, "queue_wait")
        assert "shopops-notifications" in wait["summary"] and "no worker polls" in wait["summary"]
        unserved = next(q for q in body["parts"]["queues"]["queues"] if q["queue"] == Queue.NOTIFICATIONS.value)
        assert unserved["workflow_backlog"] >= 1 and unserved["workflow_pollers"] == 0 and unserved["no_workers"]

        report = await build_report(client)
        first = await alerts.apply(report.checks, report_time(report))
        second = await alerts.apply(report.checks, report_time(report))
        assert "queue_wait" in first.opened and "queue_wait" not in second.opened
    finally:
        await stuck.terminate("test over")
        import psycopg

        with psycopg.connect(libpq_url(), autocommit=True) as conn:
            conn.execute("DELETE FROM monitoring_alerts; DELETE FROM monitoring_check_states")
            conn.execute("DELETE FROM notifications WHERE kind LIKE 'monitoring.%'")


def report_time(report: Any) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(report.generated_at)


async def test_schedules_show_last_and_next_run_and_pause_resume_trigger(admin_api: httpx.AsyncClient, temporal_env: Any) -> None:
    client = await connect()
    mine = ("maint:backup", "monitoring:snapshot", "monitoring:checks")
    await ensure_schedules(client, [d for d in APP_SCHEDULES if d.id in mine])  # only these: no stray runs later
    body = (await admin_api.get("/api/admin/monitoring")).json()
    schedules = {s["id"]: s for s in body["parts"]["workflows"]["schedules"]}
    assert {"maint:backup", "monitoring:checks", "monitoring:snapshot"} <= set(schedules)
    assert schedules["maint:backup"]["next_run_at"] and not schedules["maint:backup"]["paused"]
    try:
        paused = await admin_api.post("/api/admin/monitoring/schedules/maint:backup/pause")
        assert paused.status_code == 200 and paused.json()["paused"] is True
        body = (await admin_api.get("/api/admin/monitoring")).json()
        assert check(body, "paused_schedules")["state"] == "warn"
        assert [s["id"] for s in check(body, "paused_schedules")["rows"]] == ["maint:backup"]
        resumed = await admin_api.post("/api/admin/monitoring/schedules/maint:backup/unpause")
        assert resumed.json()["paused"] is False
        triggered = await admin_api.post("/api/admin/monitoring/schedules/monitoring:snapshot/trigger")
        assert triggered.status_code == 200

        async def ran() -> bool:
            desc = await client.get_schedule_handle("monitoring:snapshot").describe()
            return bool(desc.info.recent_actions)

        assert await eventually(ran), "the triggered schedule did not start its workflow"
        assert_problem(await admin_api.post("/api/admin/monitoring/schedules/no-such/pause"), 404)
        assert_problem(await admin_api.post("/api/admin/monitoring/schedules/maint:backup/explode"), 422)
    finally:
        for schedule in mine:
            handle = client.get_schedule_handle(schedule)
            started = [a.action.workflow_id for a in (await handle.describe()).info.recent_actions]
            await handle.delete()
            for workflow_id in started:  # no worker polls here: the run would wait for the next test's
                with contextlib.suppress(RPCError):  # already closed
                    await client.get_workflow_handle(workflow_id).terminate("test over")


async def test_monitoring_workflows_run_on_the_app_worker_and_replay(worker: Any, temporal_env: Any) -> None:
    import psycopg

    from db.engine import libpq_url

    with psycopg.connect(libpq_url(), autocommit=True) as conn:  # other suites' backups
        conn.execute("UPDATE backups SET status = 'deleted' WHERE status = 'completed'")
    client: Client = await connect()
    snapshot = await client.execute_workflow(
        MonitoringSnapshotWorkflow.run, id=f"{SNAPSHOT_WORKFLOW_ID}:test", task_queue=Queue.SYSTEM.value,
        result_type=SnapshotOutcome,
    )
    assert snapshot.snapshot.sizes > 0  # the first capture takes table sizes
    assert "monitoring_latency_minutes" in snapshot.pruned.rows
    evaluation = await client.execute_workflow(
        MonitoringChecksWorkflow.run, id=f"{CHECKS_WORKFLOW_ID}:test", task_queue=Queue.SYSTEM.value,
        result_type=Evaluation,
    )
    assert evaluation.state in ("ok", "warn", "critical")
    assert "backup_age" not in evaluation.critical  # no backup yet in the test database: a warning, not critical
    histories = {
        "monitoring_snapshot": await client.get_workflow_handle(f"{SNAPSHOT_WORKFLOW_ID}:test").fetch_history(),
        "monitoring_checks": await client.get_workflow_handle(f"{CHECKS_WORKFLOW_ID}:test").fetch_history(),
    }
    if os.environ.get("SHOPOPS_RECORD_HISTORIES"):
        HISTORIES.mkdir(exist_ok=True)
        for name, history in histories.items():
            (HISTORIES / f"{name}.json").write_text(json.dumps(json.loads(history.to_json()), indent=1))
    with psycopg.connect(libpq_url(), autocommit=True) as conn:
        conn.execute("DELETE FROM monitoring_alerts; DELETE FROM monitoring_check_states")
        conn.execute("DELETE FROM notifications WHERE kind LIKE 'monitoring.%'")


@pytest.mark.parametrize("name", ["monitoring_snapshot", "monitoring_checks"])
async def test_recorded_history_replays(name: str) -> None:
    path = HISTORIES / f"{name}.json"
    assert path.exists(), f"{path} missing: record it with SHOPOPS_RECORD_HISTORIES=1"
    history = WorkflowHistory.from_json(name, path.read_text())
    result = await Replayer(workflows=[MonitoringSnapshotWorkflow, MonitoringChecksWorkflow]).replay_workflow(history)
    assert result.replay_failure is None
