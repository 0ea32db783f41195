"""The exports queue's activities: mark an export started with its estimate, write its file
(progress signalled to the workflow and kept on the row), or record why it failed."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import psycopg
from sqlalchemy import update
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.exports.writer import estimate_rows, write_export
from db.config import get_settings
from db.engine import libpq_url, session_scope
from db.export_queries import Filters, export_query
from db.models import Export
from workflows.exports import ExportStarted, ExportWritten, workflow_id

log = logging.getLogger(__name__)
PROGRESS_EVERY_S = 1.0


def connect() -> psycopg.Connection[Any]:
    conn = psycopg.connect(libpq_url())
    conn.execute("SET TimeZone = 'UTC'")
    conn.commit()
    return conn


async def _load(export_id: str) -> Export:
    async with session_scope() as session:
        row = await session.get(Export, uuid.UUID(export_id))
        if row is None:
            raise ApplicationError(f"export {export_id} does not exist", non_retryable=True)
        session.expunge(row)
        return row


def file_path_for(shop_id: int, export_id: str, fmt: str) -> Path:
    return get_settings().export_dir / str(shop_id) / f"{export_id}.{fmt}"


@activity.defn(name="start_export")
async def start_export(export_id: str) -> ExportStarted:
    row = await _load(export_id)
    query = export_query(row.kind, row.shop_id, Filters.from_json(row.filters), ordered=False)

    def estimate() -> int:
        with connect() as conn:
            return estimate_rows(conn, query)

    try:
        rows = await asyncio.to_thread(estimate)
    except psycopg.ProgrammingError as exc:  # a query that cannot run never will
        raise ApplicationError(f"export query refused: {exc}", non_retryable=True) from exc
    async with session_scope() as session:
        await session.execute(
            update(Export).where(Export.id == row.id).values(status="running", rows_estimate=rows)
        )
    return ExportStarted(rows_estimate=rows)


class _Tracker:
    """Rows written so far and the writer's peak memory, read by the progress loop."""

    def __init__(self) -> None:
        self.rows = 0
        self.process = psutil.Process(os.getpid())
        self.base_rss = self.process.memory_info().rss
        self.peak_rss = self.base_rss
        self._calls = 0

    def __call__(self, rows: int) -> None:
        self.rows = rows
        self._calls += 1
        if self._calls % 1000 == 0:  # COPY hands over about a row per call
            self.peak_rss = max(self.peak_rss, self.process.memory_info().rss)


@activity.defn(name="write_export")
async def write_export_file(export_id: str) -> ExportWritten:
    """Write the file; the peak reported is the worker's resident memory while writing."""
    row = await _load(export_id)
    query = export_query(row.kind, row.shop_id, Filters.from_json(row.filters))
    path = file_path_for(row.shop_id, export_id, row.format)
    tracker = _Tracker()

    def write() -> int:
        with connect() as conn:
            return write_export(conn, query, row.format, path, tracker)

    task = asyncio.create_task(asyncio.to_thread(write))
    handle = activity.client().get_workflow_handle(workflow_id(export_id))
    reported = -1
    while not task.done():
        await asyncio.wait({task}, timeout=PROGRESS_EVERY_S)
        activity.heartbeat(tracker.rows)
        if tracker.rows != reported and not task.done():
            reported = tracker.rows
            await _report(handle, export_id, reported)
    try:
        rows = task.result()
    except psycopg.ProgrammingError as exc:
        path.unlink(missing_ok=True)
        raise ApplicationError(f"export query refused: {exc}", non_retryable=True) from exc
    tracker.peak_rss = max(tracker.peak_rss, tracker.process.memory_info().rss)
    peak_mb = round(tracker.peak_rss / 2**20, 1)
    settings = get_settings()
    now = datetime.now(UTC)
    async with session_scope() as session:
        await session.execute(
            update(Export)
            .where(Export.id == row.id)
            .values(
                status="done",
                rows_done=rows,
                file_path=str(path),
                file_size=path.stat().st_size,
                peak_rss_mb=peak_mb,
                finished_at=now,
                expires_at=now + timedelta(hours=settings.export_ttl_hours),
            )
        )
    log.info("export %s: %s rows, peak RSS %.1f MB", export_id, rows, peak_mb)
    return ExportWritten(rows=rows, file_size=path.stat().st_size, peak_rss_mb=peak_mb)


async def _report(handle: Any, export_id: str, rows: int) -> None:
    """Progress to the workflow (its query answers the UI) and onto the row (the list)."""
    try:
        await handle.signal("rows_written", rows)
    except Exception as exc:  # progress is best effort; the file is what matters
        log.warning("export %s: progress signal failed: %s", export_id, exc)
    async with session_scope() as session:
        await session.execute(
            update(Export).where(Export.id == uuid.UUID(export_id)).values(rows_done=rows)
        )


@activity.defn(name="fail_export")
async def fail_export(export_id: str, error: str) -> None:
    async with session_scope() as session:
        row = await session.get(Export, uuid.UUID(export_id))
        if row is None:
            return
        if row.file_path:
            Path(row.file_path).unlink(missing_ok=True)
        row.status, row.error, row.file_path = "failed", error, None
        row.finished_at = datetime.now(UTC)


ACTIVITIES = [start_export, write_export_file, fail_export]
