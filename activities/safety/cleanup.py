"""Retention: delete rows and snapshot files older than their kind's setting, in batches.

Batches delete by `ctid` under a short statement each and commit in between, so a cleanup of
millions of rows never holds a long lock or a long transaction.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, text, update
from temporalio import activity
from temporalio.exceptions import ApplicationError

from db.app_settings import get_setting
from db.config import get_settings
from db.engine import rows_touched, session_scope
from db.models import SnapshotRun
from workflows.safety.cleanup import CleanupResult

# kind -> (table, time column); snapshot_files is handled on disk
TABLES = {
    "notifications": ("notifications", "created_at"),
    "webhook_events": ("webhook_events", "received_at"),
    "snapshot_rejects": ("snapshot_rejects", "created_at"),
    "sync_rejects": ("sync_rejects", "created_at"),
}
# kinds whose retention is an environment setting (README "Backups and recovery"):
# kind -> (table, time column, which rows may go, the Settings field holding the days)
SETTLED = {
    "sent_mails": ("outgoing_mails", "created_at", "status <> 'pending'", "retention_sent_mails_days"),
    "webhook_deliveries": (
        "webhook_deliveries", "created_at", "status <> 'pending'", "retention_webhook_deliveries_days"
    ),
    "reports": ("reports", "created_at", "true", "retention_reports_days"),
    "export_rows": (
        "exports", "created_at", "file_path IS NULL AND status IN ('failed', 'expired')",
        "retention_exports_days",
    ),
}
ACTIVE_RUNS = ("pending", "running")
log = logging.getLogger(__name__)


async def _retention(kind: str) -> tuple[int, int]:
    async with session_scope() as session:
        days = int(await get_setting(session, f"retention.{kind}_days"))
        batch = int(await get_setting(session, "cleanup.batch_size"))
    return days, batch


def _beat(*details: object) -> None:
    if activity.in_activity():
        activity.heartbeat(*details)


async def delete_older_rows(kind: str, cutoff: datetime, batch: int) -> tuple[int, int]:
    """(rows deleted, batches) from the kind's table where its time column is before cutoff
    (and, for the SETTLED kinds, the row is finished: nothing pending is ever deleted)."""
    if kind in SETTLED:
        table, column, which, _ = SETTLED[kind]
    else:
        (table, column), which = TABLES[kind], "true"
    statement = text(
        f"DELETE FROM {table} WHERE ctid = ANY(ARRAY("
        f"SELECT ctid FROM {table} WHERE {column} < :cutoff AND {which} LIMIT :batch))"
    )
    deleted = batches = 0
    while True:
        async with session_scope() as session:
            count = await rows_touched(session, statement, {"cutoff": cutoff, "batch": batch})
        deleted += count
        batches += 1
        _beat(kind, deleted)
        if count < batch:
            return deleted, batches


async def delete_old_snapshot_files(cutoff: datetime, batch: int) -> tuple[int, int, int]:
    """(files deleted, batches, bytes freed): files of finished runs, and stray files, older than cutoff.

    Only files inside settings.snapshot_dir are touched; a file of a pending or running run never is.
    """
    root = get_settings().snapshot_dir.resolve()
    files = batches = freed = 0
    last_id = 0
    while True:
        async with session_scope() as session:
            runs = (
                await session.execute(
                    select(SnapshotRun.id, SnapshotRun.file_path)
                    .where(SnapshotRun.id > last_id, SnapshotRun.file_path.is_not(None))
                    .where(SnapshotRun.status.not_in(ACTIVE_RUNS))
                    .where(
                        (SnapshotRun.finished_at < cutoff)
                        | (SnapshotRun.finished_at.is_(None) & (SnapshotRun.requested_at < cutoff))
                    )
                    .order_by(SnapshotRun.id)
                    .limit(batch)
                )
            ).all()
            cleared: list[int] = []
            for run_id, file_path in runs:
                last_id = run_id
                if file_path is None:  # excluded by the query; tells the type checker
                    continue
                size = await asyncio.to_thread(_remove_inside, root, Path(file_path))
                if size == OUTSIDE:
                    log.warning(
                        "cleanup: run %s points outside %s (%s); left alone",
                        run_id,
                        root,
                        file_path,
                    )
                    continue
                cleared.append(run_id)
                if size is not None:
                    files, freed = files + 1, freed + size
            if cleared:
                await session.execute(
                    update(SnapshotRun).where(SnapshotRun.id.in_(cleared)).values(file_path=None)
                )
        batches += 1
        _beat("snapshot_files", files)
        if len(runs) < batch:
            break
    strays, stray_bytes = await _delete_stray_files(root, cutoff)
    return files + strays, batches, freed + stray_bytes


async def _delete_stray_files(root: Path, cutoff: datetime) -> tuple[int, int]:
    """Old files no run points at any more (a crash between download and bookkeeping)."""
    async with session_scope() as session:
        referenced = {
            str(Path(p).resolve())
            for p in (
                await session.execute(
                    select(SnapshotRun.file_path).where(SnapshotRun.file_path.is_not(None))
                )
            ).scalars()
            if p is not None
        }

    def sweep() -> tuple[int, int]:
        count = size = 0
        if not root.exists():
            return 0, 0
        for path in root.rglob("*"):
            if not path.is_file() or str(path.resolve()) in referenced:
                continue
            stat = path.stat()
            if datetime.fromtimestamp(stat.st_mtime, UTC) < cutoff:
                path.unlink(missing_ok=True)
                count, size = count + 1, size + stat.st_size
        return count, size

    return await asyncio.to_thread(sweep)


OUTSIDE = -1


def _remove_inside(root: Path, path: Path) -> int | None:
    """Delete `path` if it lies under `root`: its size, None when already gone, OUTSIDE if not ours."""
    resolved = path.resolve()
    if not resolved.is_relative_to(root):
        return OUTSIDE
    try:
        size = resolved.stat().st_size
        resolved.unlink()
    except FileNotFoundError:
        return None
    return size


async def delete_expired_exports(now: datetime, batch: int) -> tuple[int, int, int]:
    """(files deleted, batches, bytes freed): export files past their `expires_at` (EXPORT_TTL_HOURS
    after they were written); the row stays, marked expired, so the list says what happened."""
    from db.models import Export

    root = get_settings().export_dir.resolve()
    files = batches = freed = 0
    while True:
        async with session_scope() as session:
            rows = (
                await session.execute(
                    select(Export.id, Export.file_path)
                    .where(Export.file_path.is_not(None), Export.expires_at < now)
                    .limit(batch)
                )
            ).all()
            for _, file_path in rows:
                size = await asyncio.to_thread(_remove_inside, root, Path(file_path or ""))
                if size not in (None, OUTSIDE):
                    files, freed = files + 1, freed + (size or 0)
            if rows:
                await session.execute(
                    update(Export)
                    .where(Export.id.in_([r[0] for r in rows]))
                    .values(file_path=None, status="expired")
                )
        batches += 1
        _beat("export_files", files)
        if len(rows) < batch:
            return files, batches, freed


@activity.defn
async def clean_up(kind: str) -> CleanupResult:
    """Delete one kind's data older than its retention setting."""
    if kind not in (*TABLES, *SETTLED, "snapshot_files", "export_files"):
        raise ApplicationError(f"unknown cleanup kind {kind!r}", non_retryable=True)
    if kind in SETTLED:
        return await clean_up_settled(kind, datetime.now(UTC))
    if kind == "export_files":  # each file carries its own expiry
        async with session_scope() as session:
            batch = int(await get_setting(session, "cleanup.batch_size"))
        now = datetime.now(UTC)
        deleted, batches, freed = await delete_expired_exports(now, batch)
        return CleanupResult(kind, 0, now.isoformat(), deleted, batches, freed)
    days, batch = await _retention(kind)
    cutoff = datetime.now(UTC) - timedelta(days=days)
    freed = 0
    if kind == "snapshot_files":
        deleted, batches, freed = await delete_old_snapshot_files(cutoff, batch)
    else:
        deleted, batches = await delete_older_rows(kind, cutoff, batch)
    log.info("cleanup %s: %s deleted older than %s", kind, deleted, cutoff)
    return CleanupResult(kind, days, cutoff.isoformat(), deleted, batches, freed)


async def clean_up_settled(kind: str, now: datetime) -> CleanupResult:
    """One of the SETTLED kinds: rows finished and older than its RETENTION_*_DAYS before `now`."""
    async with session_scope() as session:
        batch = int(await get_setting(session, "cleanup.batch_size"))
    days = int(getattr(get_settings(), SETTLED[kind][3]))
    cutoff = now - timedelta(days=days)
    deleted, batches = await delete_older_rows(kind, cutoff, batch)
    log.info("cleanup %s: %s deleted older than %s", kind, deleted, cutoff)
    return CleanupResult(kind, days, cutoff.isoformat(), deleted, batches)


ACTIVITIES = [clean_up]
