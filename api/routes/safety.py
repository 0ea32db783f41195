"""Admin (safety): the database backups with their checksum and restore-verification state; start one now."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from api.deps import AdminCaller, SessionDep, TemporalDep
from api.pagination import Page, page_by_id
from db.models import Backup
from workflows import search_attributes
from workflows.queues import Queue
from workflows.safety.backups import ON_DEMAND_ID, WORKFLOW_ID, BackupRequest, BackupWorkflow

router = APIRouter(prefix="/api/admin/backups", tags=["admin"])


class BackupOut(BaseModel):
    id: int
    name: str
    status: str
    storage: str
    database: str
    file_bytes: int | None
    sha256: str | None
    tables: int
    rows: int
    error: str | None
    started_at: datetime
    finished_at: datetime | None
    verify_status: str | None
    verified_at: datetime | None
    verify_detail: dict[str, Any]

    @classmethod
    def of(cls, b: Backup) -> BackupOut:
        counts = b.table_counts or {}
        return cls(
            **{k: getattr(b, k) for k in cls.model_fields if k not in ("tables", "rows")},
            tables=len(counts),
            rows=sum(int(v) for v in counts.values()),
        )


class StartedOut(BaseModel):
    workflow_id: str
    run_id: str  # the same for requests that joined a dump already running


@router.get("")
async def list_backups(
    _: AdminCaller,
    session: SessionDep,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    include_deleted: bool = False,
) -> Page[BackupOut]:
    query = select(Backup)
    if not include_deleted:
        query = query.where(Backup.status != "deleted")
    return await page_by_id(session, query, Backup.id, cursor, limit, BackupOut.of)


@router.post("", status_code=202)
async def start_backup(
    _: AdminCaller, temporal: TemporalDep, verify: bool | None = None
) -> StartedOut:
    """Dump now (and verify the new dump when `verify=true`); the result lands in the list.

    At most one on-demand dump runs at a time: a request while one runs joins it (same run id,
    its `verify` choice stands)."""
    handle = await temporal.start_workflow(
        BackupWorkflow.run,
        BackupRequest(verify=verify),
        id=ON_DEMAND_ID,
        task_queue=Queue.MAINTENANCE.value,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
        search_attributes=search_attributes.for_run(WORKFLOW_ID),
    )
    return StartedOut(workflow_id=handle.id, run_id=handle.result_run_id or "")
