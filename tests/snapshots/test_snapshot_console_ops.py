"""Ops in the Temporal console reach the run rows, and failures keep their real cause.

A run terminated or cancelled from outside shopops shows its true state on the next read and
can be retried; a start whose workflow never appeared is settled, a young one is not; a
Shoptet error keeps Shoptet's answer all the way into Temporal and the run's one-line reason.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.failure.v1 import Failure
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.converter import DataConverter
from temporalio.testing import ActivityEnvironment

from activities.shoptet.errors import Forbidden, ServerError, ShoptetError, TransportError
from activities.shoptet_access import NotInstalled, shoptet_failure
from activities.snapshots import pipeline as snapshot_activities
from db.engine import session_scope
from db.snapshots import create_run
from infra.sandbox.generator import ShopSpec
from infra.temporal_client import connect
from tests.snapshots.conftest import connect_shop, new_eshop_id
from tests.snapshots.test_snapshot_e2e import db_orders, expected_orders, wait_for_run
from tests.support import assert_problem
from workflows.snapshots import one_line


def _row(db, run_id: int):  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.execute(
        text("SELECT status, error, finished_at, workflow_id FROM snapshot_runs WHERE id = :r"), {"r": run_id}
    ).one()


async def _until(predicate, what: str, timeout: float = 60):  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if value := await predicate():
            return value
        await asyncio.sleep(0.2)
    raise AssertionError(f"never saw {what}")


async def _start_stuck_run(api, sandbox, live_api, db, manager) -> tuple[int, WorkflowHandle, object]:  # type: ignore[no-untyped-def,type-arg]
    """A run whose Shoptet job never finishes: its workflow waits, the row says running."""
    spec = ShopSpec(eshop_id=new_eshop_id(), seed=51, orders=300, products=20, customers=40)
    connected = await connect_shop(sandbox, live_api, db, spec)
    await manager(connected.shop.id)
    sandbox.state.set_knobs({"job_hang": True})
    started = await api.post(f"/api/shops/{connected.shop.id}/snapshot-runs", json={"resource": "orders"})
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]

    async def waiting() -> bool:
        db.expire_all()
        phase = db.execute(text("SELECT phase FROM snapshot_runs WHERE id = :r"), {"r": run_id}).scalar_one()
        return phase == "waiting"

    await _until(waiting, "the run waiting for its job")  # read from the DB: no API read yet
    client = await connect()
    return run_id, client.get_workflow_handle(started.json()["workflow_id"]), connected


@pytest.mark.parametrize("op", ["terminate", "cancel"])
async def test_run_closed_in_the_console_shows_its_state_and_retries(
    op: str, api, worker, live_api, sandbox, db_session, manager  # type: ignore[no-untyped-def]
) -> None:
    run_id, handle, connected = await _start_stuck_run(api, sandbox, live_api, db_session, manager)
    if op == "terminate":
        await handle.terminate(reason="ops: job stuck at Shoptet")
    else:
        await handle.cancel()
    closed = {"terminate": WorkflowExecutionStatus.TERMINATED, "cancel": WorkflowExecutionStatus.CANCELED}[op]

    async def workflow_closed() -> bool:
        return (await handle.describe()).status == closed

    await _until(workflow_closed, f"the workflow {op}ed")
    assert _row(db_session, run_id).status == "running"  # nothing in shopops saw it yet

    seen = (await api.get(f"/api/snapshot-runs/{run_id}")).json()  # the very next read settles it
    assert seen["status"] == "cancelled", seen
    row = _row(db_session, run_id)
    assert row.status == "cancelled" and row.finished_at is not None
    expected = (
        "terminated in Temporal by " if op == "terminate" else "cancelled in Temporal"
    )
    assert row.error.startswith(expected) and "\n" not in row.error, row.error
    if op == "terminate":
        assert row.error.endswith(": ops: job stuck at Shoptet")
    assert seen["error"] == row.error
    listed = (await api.get(f"/api/shops/{connected.shop.id}/snapshot-runs")).json()["items"]
    assert [(r["id"], r["status"]) for r in listed] == [(run_id, "cancelled")]

    sandbox.state.set_knobs({"job_hang": False})
    retried = await api.post(f"/api/snapshot-runs/{run_id}/retry")
    assert retried.status_code == 202, retried.text
    assert retried.json()["retry_of"] == run_id and retried.json()["attempt"] == 2
    done = await wait_for_run(api, retried.json()["id"])
    assert done["status"] == "completed", done
    assert db_orders(db_session, connected.shop.id) == expected_orders(connected.spec)
    assert _row(db_session, run_id).status == "cancelled"  # the old run keeps its own story


async def test_list_settles_a_terminated_run_and_a_new_start_is_accepted(
    api, worker, live_api, sandbox, db_session, manager  # type: ignore[no-untyped-def]
) -> None:
    run_id, handle, connected = await _start_stuck_run(api, sandbox, live_api, db_session, manager)
    await handle.terminate(reason="ops")

    async def terminated() -> bool:
        return (await handle.describe()).status == WorkflowExecutionStatus.TERMINATED

    await _until(terminated, "the workflow terminated")
    sandbox.state.set_knobs({"job_hang": False})
    again = await api.post(f"/api/shops/{connected.shop.id}/snapshot-runs", json={"resource": "orders"})
    assert again.status_code == 202, again.text  # the dead run no longer blocks the shop
    assert _row(db_session, run_id).status == "cancelled"
    done = await wait_for_run(api, again.json()["id"])
    assert done["status"] == "completed", done


async def test_lost_start_is_settled_but_a_young_pending_run_is_not(
    api, worker, live_api, sandbox, db_session, manager  # type: ignore[no-untyped-def]
) -> None:
    """A row whose workflow never appeared: a concurrent request must not fail it while its
    start may still be on the way; once that is impossible, it is failed with the reason."""
    spec = ShopSpec(eshop_id=new_eshop_id(), seed=53, orders=50, products=10, customers=20)
    connected = await connect_shop(sandbox, live_api, db_session, spec)
    shop_id = connected.shop.id
    await manager(shop_id)
    async with session_scope() as session:
        orphan = await create_run(session, shop_id, "orders", trigger="test")  # no workflow started
    url = f"/api/shops/{shop_id}/snapshot-runs"
    blocked = assert_problem(await api.post(url, json={"resource": "orders"}), 409)
    assert blocked["run_id"] == orphan.id
    assert _row(db_session, orphan.id).status == "pending"

    db_session.execute(
        text("UPDATE snapshot_runs SET requested_at = :t WHERE id = :r"),
        {"t": datetime.now(UTC) - timedelta(minutes=5), "r": orphan.id},
    )
    db_session.commit()
    started = await api.post(url, json={"resource": "orders"})
    assert started.status_code == 202, started.text
    lost = _row(db_session, orphan.id)
    assert lost.status == "failed" and "does not exist in Temporal" in lost.error
    done = await wait_for_run(api, started.json()["id"])
    assert done["status"] == "completed", done


@pytest.mark.parametrize(
    "error",
    [
        ServerError("Internal server error", status=503, error_code="internal-server-error", method="GET", path="/api/orders/snapshot"),
        TransportError("connection reset", method="GET", path="/api/orders/snapshot"),
        Forbidden("Missing module", status=403, error_code="missing-module"),
        NotInstalled("shop 7 has no active installation"),
    ],
    ids=["retryable-503", "retryable-network", "permanent-403", "not-installed"],
)
def test_a_shoptet_failure_converts_with_its_real_cause(error: ShoptetError | NotInstalled) -> None:
    """What Temporal stores for a failed attempt: our message, then Shoptet's error as the
    cause; never "maximum recursion depth exceeded" (an exception that was its own cause)."""
    try:
        try:
            raise error
        except (ShoptetError, NotInstalled) as exc:
            raise shoptet_failure(exc, "requesting the orders snapshot") from exc
    except Exception as raised:  # what the activity hands to Temporal
        converted = Failure()
        converter = DataConverter.default
        converter.failure_converter.to_failure(raised, converter.payload_converter, converted)
    assert converted.message.startswith("requesting the orders snapshot: ")
    assert str(error) in converted.message
    assert converted.cause.message == str(error) and not converted.cause.HasField("cause")
    retryable = getattr(error, "retryable", False)
    assert converted.application_failure_info.non_retryable is (not retryable)


async def test_a_retried_shoptet_error_reaches_temporal_and_the_run_with_its_cause(
    api, worker, live_api, sandbox, db_session, manager  # type: ignore[no-untyped-def]
) -> None:
    spec = ShopSpec(eshop_id=new_eshop_id(), seed=57, orders=30, products=10, customers=20)
    connected = await connect_shop(sandbox, live_api, db_session, spec)
    await manager(connected.shop.id)
    sandbox.state.set_knobs({"error_rate": 1.0, "error_status": 503})
    started = await api.post(f"/api/shops/{connected.shop.id}/snapshot-runs", json={"resource": "orders"})
    assert started.status_code == 202, started.text
    handle = (await connect()).get_workflow_handle(started.json()["workflow_id"])

    async def failed_attempt():  # type: ignore[no-untyped-def]
        pending = (await handle.describe()).raw_description.pending_activities
        return next((p for p in pending if p.HasField("last_failure")), None)

    attempt = await _until(failed_attempt, "a failed, retried attempt")
    assert attempt.activity_type.name == "request_snapshot_job"
    message = attempt.last_failure.message
    assert message.startswith("requesting the orders snapshot: GET /api/orders/snapshot → 503"), message
    assert "recursion" not in message and "503" in attempt.last_failure.cause.message

    # a permanent answer ends the run: its stored reason is one line naming the step and cause
    sandbox.state.set_knobs({"error_status": 403})
    run = await wait_for_run(api, started.json()["id"], timeout=120)
    assert run["status"] == "failed"
    assert run["error"].startswith("request_snapshot_job: requesting the orders snapshot: Shoptet answered 403")
    assert "\n" not in run["error"] and len(run["error"]) <= 300


def test_one_line_keeps_the_first_line_and_cuts_long_reasons() -> None:
    assert one_line("boom\n  Traceback (most recent call last):\n  ...") == "boom"
    assert one_line("\n\n  spaced    out  \nmore") == "spaced out"
    assert one_line("") == "no reason given"
    assert one_line("x" * 500) == "x" * 299 + "…"


async def test_a_reset_run_stays_running_and_completes(api, worker, live_api, sandbox, db_session, manager) -> None:  # type: ignore[no-untyped-def]
    """Reset terminates the current execution and starts a new one under the same workflow id:
    the run is still alive, so it must not be settled as cancelled."""
    run_id, handle, connected = await _start_stuck_run(api, sandbox, live_api, db_session, manager)
    client = await connect()
    first = (await handle.describe()).run_id
    async for event in handle.fetch_history_events():  # reset to just after the first task
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            reset_to = event.event_id
            break
    sandbox.state.set_knobs({"job_hang": False})  # the reset execution asks for a fresh job
    reset = await client.workflow_service.reset_workflow_execution(
        ResetWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=handle.id, run_id=first),
            reason="ops: reset from the console",
            workflow_task_finish_event_id=reset_to,
            request_id=str(uuid.uuid4()),
        )
    )
    assert reset.run_id != first
    seen = (await api.get(f"/api/snapshot-runs/{run_id}")).json()
    assert seen["status"] == "running", seen
    done = await wait_for_run(api, run_id)
    assert done["status"] == "completed", done
    assert db_orders(db_session, connected.shop.id) == expected_orders(connected.spec)


async def test_the_sweep_settles_a_terminated_run_nobody_reads(api, worker, live_api, sandbox, db_session, manager) -> None:  # type: ignore[no-untyped-def]
    run_id, handle, _ = await _start_stuck_run(api, sandbox, live_api, db_session, manager)
    await handle.terminate(reason="ops: nobody looks")

    async def terminated() -> bool:
        return (await handle.describe()).status == WorkflowExecutionStatus.TERMINATED

    await _until(terminated, "the workflow terminated")
    # the sweep's reconciliation, as its activity runs it (real client, real dev server)
    await ActivityEnvironment(client=await connect()).run(snapshot_activities._reconcile_closed_workflows)
    row = _row(db_session, run_id)
    assert row.status == "cancelled" and row.error.endswith(": ops: nobody looks"), row
