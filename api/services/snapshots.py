"""Snapshot runs: start one (deduplicated), retry one, read live progress, list runs and rejects."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from api.problems import Problem
from db.config import get_settings
from db.models import Shop, SnapshotRun
from db.snapshot_runs import RunAlreadyActive, create_run
from workflows import search_attributes
from workflows.queues import Queue
from workflows.snapshots import RESOURCES, Progress, SnapshotRequest, SnapshotWorkflow

QUERY_TIMEOUT = 2.0


def temporal_url(workflow_id: str) -> str:
    settings = get_settings()
    return f"{settings.temporal_ui_url}/namespaces/{settings.temporal_namespace}/workflows/{workflow_id}"


START_GRACE = timedelta(minutes=2)  # a new run's workflow is started within a second of its row


async def _closed_outside(client: Client, run: SnapshotRun, now: datetime) -> str | None:
    """The workflow's closed status when it closed without updating the run (terminated,
    reset, deleted); None while it runs, or while a run of a moment ago is still starting it
    (another request's start in flight must not be marked failed)."""
    try:
        desc = await client.get_workflow_handle(run.workflow_id).describe()
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND or now - run.requested_at < START_GRACE:
            return None
        return "NOT_FOUND"
    if desc.status in (None, WorkflowExecutionStatus.RUNNING):
        return None
    return desc.status.name


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
    shop_id, retry_id = shop.id, retry_of.id if retry_of else None  # commits below expire both
    for _ in range(2):
        try:
            run = await create_run(session, shop_id, resource, trigger=trigger, params=params, retry_of=retry_of)
            break
        except RunAlreadyActive as exc:
            closed = await _closed_outside(client, exc.run, datetime.now(UTC))
            if closed is None:
                raise Problem(
                    409,
                    "Snapshot already running",
                    f"{resource} snapshot run {exc.run.id} of this shop is still {exc.run.status}; "
                    "wait for it or cancel it in the Temporal console.",
                    run_id=exc.run.id,
                ) from None
            await _mark_failed(session, exc.run.id, f"workflow {closed} outside shopops", exc.run.status)
    else:  # pragma: no cover - the second attempt either creates or raises
        raise Problem(409, "Snapshot already running", "another run started at the same moment")
    request = SnapshotRequest.for_run(run.id, shop_id, resource, run.params, reuse_file_of=retry_id)
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
        await _mark_failed(session, run.id, f"could not start the workflow: {exc}")
        raise Problem(503, "Could not start the snapshot", f"Temporal refused the workflow: {exc}") from exc
    return run


async def _mark_failed(
    session: AsyncSession, run_id: int, message: str, only_if: str | None = None
) -> None:
    """Fail the run; with `only_if`, only while it still has that status (a concurrent request
    may have moved it on since we looked)."""
    query = update(SnapshotRun).where(SnapshotRun.id == run_id)
    if only_if is not None:
        query = query.where(SnapshotRun.status == only_if)
    await session.execute(query.values(status="failed", error=message, finished_at=datetime.now(UTC)))
    await session.commit()


async def retry_run(session: AsyncSession, client: Client, run: SnapshotRun) -> SnapshotRun:
    if run.status != "failed":
        raise Problem(409, "Only failed runs can be retried", f"run {run.id} is {run.status}.")
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


async def live_progress(client: Client, run: SnapshotRun) -> dict[str, Any]:
    """The stored row, overlaid with the workflow's own progress while it runs."""
    view = run_view(run)
    if run.status not in ("pending", "running"):
        return view
    try:
        progress: Progress = await asyncio.wait_for(
            client.get_workflow_handle(run.workflow_id).query(SnapshotWorkflow.progress),
            QUERY_TIMEOUT,
        )
    except Exception:  # no worker right now, or closed: the row is the truth
        return view
    if progress.processed_lines >= view["processed_lines"]:
        live = asdict(progress)
        for key in ("phase", "job_id", "total_lines", "processed_lines", "rows_upserted",
                    "rejected_lines", "rate_lines_per_s", "eta_seconds"):
            if live.get(key) is not None:
                view[key] = live[key]
        view["percent"] = _percent(view)
    return view


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
