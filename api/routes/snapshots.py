"""Snapshot runs: start, list, live progress, rejects, retry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from api.common.params import BigIntId, ShortText, Timestamp
from api.deps import CurrentCaller, ManagedShop, SessionDep, ShopOfCaller, TemporalDep
from api.pagination import LineCursor, Page, decode_cursor, encode_cursor, page_by_id
from api.problems import Problem
from api.services import snapshots
from db.models import SnapshotReject, SnapshotRun

router = APIRouter(tags=["snapshots"])


class StartSnapshot(BaseModel):
    resource: Literal["orders", "products", "customers"]
    changed_since: Timestamp | None = None


class SnapshotRunOut(BaseModel):
    id: int
    shop_id: int
    resource: str
    workflow_id: str
    temporal_url: str
    status: str
    phase: str
    trigger: str
    job_id: str | None
    total_lines: int | None
    processed_lines: int
    rows_upserted: int
    rejected_lines: int
    rate_lines_per_s: float | None
    eta_seconds: float | None
    percent: float | None
    attempt: int
    retry_of: int | None
    error: str | None
    file_sha256: str | None
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class RejectOut(BaseModel):
    line_no: int
    raw: str
    reason: str
    created_at: datetime


async def _run_of_caller(session: SessionDep, caller: CurrentCaller, run_id: int) -> SnapshotRun:
    run = await session.get(SnapshotRun, run_id)
    if run is None or caller.role_in(run.shop_id) is None:
        raise Problem(404, "Snapshot run not found", f"No snapshot run {run_id} among your shops.")
    return run


@router.post("/api/shops/{shop_id}/snapshot-runs", status_code=202)
async def start(body: StartSnapshot, shop: ManagedShop, session: SessionDep, temporal: TemporalDep) -> SnapshotRunOut:
    params: dict[str, Any] = {}
    if body.changed_since is not None:
        params["changed_since"] = body.changed_since.isoformat()
    run = await snapshots.start_snapshot(session, temporal, shop, body.resource, trigger="api", params=params)
    return SnapshotRunOut(**snapshots.run_view(run))


@router.get("/api/shops/{shop_id}/snapshot-runs")
async def list_runs(
    shop: ShopOfCaller,
    session: SessionDep,
    status: Annotated[list[ShortText] | None, Query()] = None,
    resource: ShortText | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[SnapshotRunOut]:
    await snapshots.settle_shop(session, shop.id)
    query = select(SnapshotRun).where(SnapshotRun.shop_id == shop.id)
    if status:
        query = query.where(SnapshotRun.status.in_(status))
    if resource:
        query = query.where(SnapshotRun.resource == resource)
    return await page_by_id(
        session, query, SnapshotRun.id, cursor, limit, lambda r: SnapshotRunOut(**snapshots.run_view(r))
    )


@router.get("/api/snapshot-runs/{run_id}")
async def get_run(run_id: BigIntId, caller: CurrentCaller, session: SessionDep, temporal: TemporalDep) -> SnapshotRunOut:
    run = await _run_of_caller(session, caller, run_id)
    return SnapshotRunOut(**await snapshots.live_progress(session, temporal, run))


@router.get("/api/snapshot-runs/{run_id}/rejects")
async def list_rejects(
    run_id: BigIntId,
    caller: CurrentCaller,
    session: SessionDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> Page[RejectOut]:
    await _run_of_caller(session, caller, run_id)
    query = select(SnapshotReject).where(SnapshotReject.run_id == run_id)
    after = decode_cursor(cursor, LineCursor)
    if after:
        query = query.where(SnapshotReject.line_no > after.line)
    rows = (await session.execute(query.order_by(SnapshotReject.line_no).limit(limit + 1))).scalars().all()
    items = [RejectOut.model_validate(r, from_attributes=True) for r in rows[:limit]]
    return Page(items=items, next_cursor=encode_cursor({"line": rows[limit - 1].line_no}) if len(rows) > limit else None)


@router.post("/api/snapshot-runs/{run_id}/retry", status_code=202)
async def retry(run_id: BigIntId, caller: CurrentCaller, session: SessionDep, temporal: TemporalDep) -> SnapshotRunOut:
    run = await _run_of_caller(session, caller, run_id)
    if caller.role_in(run.shop_id) not in ("manager", "owner"):
        raise Problem(403, "Forbidden", "Retrying a run needs the manager role.")
    new = await snapshots.retry_run(session, temporal, run)
    return SnapshotRunOut(**snapshots.run_view(new))
