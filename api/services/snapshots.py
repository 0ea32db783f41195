"""Snapshot runs: start one (deduplicated), retry one, read live progress, list runs and rejects."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError

from api.problems import Problem
from db.config import get_settings
from db.models import Shop, SnapshotRun
from db.snapshots import ACTIVE, RunAlreadyActive, close_active_run, create_run
from infra.temporal_client import connect
from infra.workflow_state import closed_outside
from workflows import search_attributes
from workflows.queues import Queue
from workflows.snapshots import RESOURCES, SnapshotRequest, SnapshotWorkflow, one_line

QUERY_TIMEOUT = 2.0
RETRYABLE = ("failed", "cancelled")


def temporal_url(workflow_id: str) -> str:
    settings = get_settings()
    return f"{settings.temporal_ui_url}/namespaces/{settings.temporal_namespace}/workflows/{workflow_id}"


# describe() answers that found a run's workflow running, per workflow id (monotonic time):
# a page polled every second costs one describe per run every few seconds, and a run closed
# in the Temporal console shows its true state within this long (plus the poll interval)
CHECK_EVERY_S = 3.0
_STILL_RUNNING: dict[str, float] = {}


async def settle_if_closed_outside(session: AsyncSession, client: Client | None, run: SnapshotRun) -> bool:
    """Give an active run whose workflow was terminated, cancelled or lost outside shopops its
    true state (row and answer); True when it did. Without Temporal the row stays as it is."""
    if run.status not in ACTIVE or client is None:
        return False
    now = time.monotonic()
    if now - _STILL_RUNNING.get(run.workflow_id, -CHECK_EVERY_S) < CHECK_EVERY_S:
        return False
    run_id, workflow_id = run.id, run.workflow_id
    try:
        closed = await asyncio.wait_for(closed_outside(client, workflow_id, run.requested_at), QUERY_TIMEOUT)
    except (RPCError, TimeoutError):
        return False  # Temporal unreachable: no conclusion
    if closed is None:
        if len(_STILL_RUNNING) > 10_000:  # finished runs' entries: keep the memo small
            for key in [k for k, seen in _STILL_RUNNING.items() if now - seen >= CHECK_EVERY_S]:
                del _STILL_RUNNING[key]
        _STILL_RUNNING[workflow_id] = now
        return False
    _STILL_RUNNING.pop(workflow_id, None)
    await close_active_run(session, run_id, closed.status, closed.reason)
    await session.refresh(run)
    return True


async def settle_shop(session: AsyncSession, shop_id: int) -> None:
    """Settle the shop's active runs (at most one per resource) before a list is read."""
    runs = (
        await session.execute(
            select(SnapshotRun).where(SnapshotRun.shop_id == shop_id, SnapshotRun.status.in_(ACTIVE))
        )
    ).scalars().all()
    if not runs:
        return
    try:
        client: Client | None = await connect()
    except Exception:  # the list still answers from the rows without Temporal
        client = None
    for run in runs:
        await settle_if_closed_outside(session, client, run)


async def start_snapshot(
    session: AsyncSession,
    client: Client,
    shop: Shop,
    resource: str,
    *,
    trigger: str = "api",
    params: dict[str, Any] | None = None,
    retry_of: SnapshotRun | None = None,
) -> SnapshotRun:
    """Create the run row (at most one active per shop and resource), then start its workflow."""
    if resource not in RESOURCES:
        raise Problem(422, "Unknown resource", f"resource must be one of {', '.join(RESOURCES)}, not {resource!r}")
    # plain values: a rollback inside create_run expires loaded objects (no lazy loads in async)
    shop_id = shop.id
    retry = (retry_of.id, retry_of.attempt) if retry_of else None
    for _ in range(2):
        try:
            run = await create_run(session, shop_id, resource, trigger=trigger, params=params, retry_of=retry)
            break
        except RunAlreadyActive as exc:
            blocking_id, blocking_status = exc.run.id, exc.run.status
            _STILL_RUNNING.pop(exc.run.workflow_id, None)  # decide on a fresh answer
            if not await settle_if_closed_outside(session, client, exc.run):
                raise Problem(
                    409,
                    "Snapshot already running",
                    f"{resource} snapshot run {blocking_id} of this shop is still {blocking_status}; "
                    "wait for it or cancel it in the Temporal console.",
                    run_id=blocking_id,
                ) from None
    else:  # pragma: no cover - the second attempt either creates or raises
        raise Problem(409, "Snapshot already running", "another run started at the same moment")
    request = SnapshotRequest.for_run(run.id, shop_id, resource, run.params, reuse_file_of=retry[0] if retry else None)
    try:
        await client.start_workflow(
            SnapshotWorkflow.run,
            request,
            id=run.workflow_id,
            task_queue=Queue.SNAPSHOTS.value,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            search_attributes=search_attributes.for_run("snapshot", shop_id, resource),
        )
    except Exception as exc:
        await close_active_run(session, run.id, "failed", one_line(f"could not start the workflow: {exc}"))
        raise Problem(503, "Could not start the snapshot", f"Temporal refused the workflow: {exc}") from exc
    return run


async def retry_run(session: AsyncSession, client: Client, run: SnapshotRun) -> SnapshotRun:
    if run.status not in RETRYABLE:
        raise Problem(409, "Only failed or cancelled runs can be retried", f"run {run.id} is {run.status}.")
    later = (
        await session.execute(
            select(SnapshotRun.id).where(
                SnapshotRun.shop_id == run.shop_id,
                SnapshotRun.resource == run.resource,
                SnapshotRun.retry_of == run.id,
            )
        )
    ).first()
    if later is not None:
        raise Problem(409, "Already retried", f"run {run.id} was retried as run {later[0]}.", run_id=later[0])
    shop = await session.get(Shop, run.shop_id)
    assert shop is not None
    return await start_snapshot(session, client, shop, run.resource, trigger="retry", params=run.params, retry_of=run)


async def live_progress(session: AsyncSession, client: Client, run: SnapshotRun) -> dict[str, Any]:
    """The stored row, settled first when its workflow closed outside shopops.

    The row is the live progress: every ingest batch updates it in the transaction that
    commits the batch's rows (and each step before sets its phase), so it is never behind the
    workflow's `progress` query, which advances per chunk. Reading it is one primary-key
    lookup; a page polled every second during an 8 M-item import asks nothing of the worker
    that is busy ingesting (a workflow query is answered by that worker, between batches).
    """
    await settle_if_closed_outside(session, client, run)
    return run_view(run)


def _percent(view: dict[str, Any]) -> float | None:
    if view["status"] in ("completed", "completed_with_rejects"):
        return 100.0
    total = view.get("total_lines")
    if not total:
        return None
    return round(100.0 * min(view["processed_lines"], total) / total, 1)


def run_view(run: SnapshotRun) -> dict[str, Any]:
    def num(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    view = {
        "id": run.id,
        "shop_id": run.shop_id,
        "resource": run.resource,
        "workflow_id": run.workflow_id,
        "temporal_url": temporal_url(run.workflow_id),
        "status": run.status,
        "phase": run.phase,
        "trigger": run.trigger,
        "job_id": run.job_id,
        "total_lines": run.total_lines,
        "processed_lines": run.processed_lines,
        "rows_upserted": run.rows_upserted,
        "rejected_lines": run.rejected_lines,
        "rate_lines_per_s": num(run.rate_lines_per_s),
        "eta_seconds": num(run.eta_seconds),
        "attempt": run.attempt,
        "retry_of": run.retry_of,
        "error": run.error,
        "file_sha256": run.file_sha256,
        "requested_at": run.requested_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
    }
    view["percent"] = _percent(view)
    return view
