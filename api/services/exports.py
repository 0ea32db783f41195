"""Exports: start one (a row, then its workflow on the exports queue), list them with their
progress, and hand out the file while it has not expired."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.service import RPCError

from activities.exports.queries import FILTERED_KINDS
from api.problems import Problem
from db.config import get_settings
from db.models import Export
from workflows.exports import DataExportWorkflow, ExportProgress, ExportRequest, workflow_id
from workflows.queues import Queue

Kind = Literal[
    "orders",
    "order_items",
    "customers",
    "products",
    "purchase_orders",
    "customer_segments",
    "inventory_recommendations",
]
Format = Literal["csv", "xlsx"]


class ExportOut(BaseModel):
    id: uuid.UUID
    kind: str
    format: str
    filters: dict[str, Any]
    status: str  # pending | running | done | failed | expired
    rows_done: int
    rows_estimate: int | None
    file_size: int | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None
    downloadable: bool


def _out(row: Export, now: datetime, progress: ExportProgress | None = None) -> ExportOut:
    rows_done = max(row.rows_done, progress.rows_done) if progress else row.rows_done
    downloadable = (
        row.status == "done" and row.file_path is not None
        and row.expires_at is not None and row.expires_at > now
    )
    return ExportOut(
        id=row.id, kind=row.kind, format=row.format, filters=row.filters,
        status="expired" if row.status == "done" and not downloadable else row.status,
        rows_done=rows_done,
        rows_estimate=(progress.rows_estimate if progress and progress.rows_estimate is not None else row.rows_estimate),
        file_size=row.file_size, error=row.error, created_at=row.created_at,
        finished_at=row.finished_at, expires_at=row.expires_at, downloadable=downloadable,
    )


async def start(
    session: AsyncSession, client: Client, shop_id: int, user_id: int, kind: Kind, fmt: Format,
    filters: dict[str, Any],
) -> ExportOut:
    row = Export(
        id=uuid.uuid4(), shop_id=shop_id, user_id=user_id, kind=kind, format=fmt,
        filters=filters if kind in FILTERED_KINDS else {}, status="pending",
    )
    session.add(row)
    await session.commit()
    await client.start_workflow(
        DataExportWorkflow.run, ExportRequest(str(row.id)),
        id=workflow_id(str(row.id)), task_queue=Queue.EXPORTS.value,
    )
    await session.refresh(row)
    return _out(row, datetime.now(UTC))


async def _own(session: AsyncSession, shop_id: int, export_id: uuid.UUID) -> Export:
    row = await session.get(Export, export_id)
    if row is None or row.shop_id != shop_id:
        raise Problem(404, "Export not found", f"No export {export_id} in this shop.")
    return row


async def listing(session: AsyncSession, shop_id: int, limit: int = 50) -> list[ExportOut]:
    rows = (
        await session.execute(
            select(Export).where(Export.shop_id == shop_id).order_by(Export.created_at.desc()).limit(limit)
        )
    ).scalars()
    now = datetime.now(UTC)
    return [_out(r, now) for r in rows]


async def one(session: AsyncSession, client: Client | None, shop_id: int, export_id: uuid.UUID) -> ExportOut:
    """The export; while it runs, its progress comes from the workflow's query."""
    row = await _own(session, shop_id, export_id)
    progress = None
    if row.status in ("pending", "running") and client is not None:
        try:
            handle = client.get_workflow_handle(workflow_id(str(row.id)))
            progress = await handle.query(DataExportWorkflow.progress)
        except RPCError:
            progress = None  # the row's figures, a second or so older, answer instead
    return _out(row, datetime.now(UTC), progress)


async def file_for_download(session: AsyncSession, shop_id: int, export_id: uuid.UUID, now: datetime) -> tuple[Path, str]:
    """(path, download name), or 410 once expired, 409 while not finished."""
    row = await _own(session, shop_id, export_id)
    if row.status in ("pending", "running"):
        raise Problem(409, "Export not ready", "The export is still being written.")
    if row.status != "done" or row.file_path is None or row.expires_at is None or row.expires_at <= now:
        raise Problem(410, "Export expired", "This export's file is gone; start a new export.")
    path = Path(row.file_path)
    root = get_settings().export_dir.resolve()
    if not path.resolve().is_relative_to(root) or not path.exists():
        raise Problem(410, "Export expired", "This export's file is gone; start a new export.")
    stamp = row.created_at.strftime("%Y%m%d-%H%M")
    return path, f"{row.kind}-{stamp}.{row.format}"
