"""Activities of PitrBaseBackupWorkflow: decide, take a base backup, prune old ones and their WAL.

They act on this host's PITR root (`PITR_DIR`, default `<data_dir>/pitr`) and on the server of
`PITR_SOURCE_URL` (default `DATABASE_URL`); the records go to the app database.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.heartbeats import with_heartbeats
from activities.safety.backups import pg_binary
from activities.safety.pitr import (
    ArchivingOff,
    BaseBackup,
    PitrError,
    PitrPaths,
    _as_server_user,
    base_backups,
    start_wal,
    take_base_backup,
)
from db.app_settings import get_setting
from db.config import get_settings
from db.engine import libpq_url, session_scope
from db.models import PitrBaseBackup
from workflows.safety.pitr import PitrBaseRequest, PitrBaseResult, PitrPlan, PitrPruneResult

WAL_SEGMENT = re.compile(r"^[0-9A-F]{24}$")
# a daily schedule must not skip the day the interval ends because the last run took longer
SLACK = timedelta(hours=1)


def source_url() -> str:
    """libpq URL of the server whose WAL is archived (a direct one, not through a pooler)."""
    return libpq_url(get_settings().pitr_source_url or None)


async def archiving_state(url: str) -> tuple[bool, str]:
    """Whether the server archives WAL, and if not, why not in words an operator can act on."""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        row = await (
            await conn.execute(
                "SELECT current_setting('archive_mode'), current_setting('archive_command')"
            )
        ).fetchone()
    mode, command = (row or ("off", ""))
    if mode == "off":
        return False, (
            "WAL archiving is off on the server (archive_mode=off): point-in-time recovery is not "
            "set up; run `shopops pitr setup` on the database host (docs/backups.md)"
        )
    if not command or command == "(disabled)":
        return False, "archive_mode is on but archive_command is empty: WAL is kept, never archived"
    return True, "WAL archiving is on"


@activity.defn
async def plan_pitr_base_backup(req: PitrBaseRequest) -> PitrPlan:
    """Adopt base backups found on disk, forget vanished ones, and say whether one is due."""
    archiving, reason = await archiving_state(source_url())
    if not archiving:
        return PitrPlan(archiving=False, due=False, reason=reason)
    on_disk = await asyncio.to_thread(base_backups, PitrPaths.default())
    async with session_scope() as session:
        await _reconcile(session, on_disk)
        newest = (
            await session.execute(
                select(PitrBaseBackup)
                .where(PitrBaseBackup.status == "completed")
                .order_by(PitrBaseBackup.finished_at.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        interval = timedelta(days=int(await get_setting(session, "pitr.base_backup_interval_days")))
    if newest is None:
        return PitrPlan(True, True, "no base backup yet: archived WAL cannot be restored without one")
    age = datetime.now(UTC) - newest.finished_at
    if req.force:
        return PitrPlan(True, True, "asked for one", newest.label)
    if age + SLACK >= interval:
        return PitrPlan(True, True, f"the newest, {newest.label}, is {_days(age)} old", newest.label)
    return PitrPlan(
        True, False, f"the newest, {newest.label}, is {_days(age)} old (one every {interval.days} days)",
        newest.label,
    )


def _days(age: timedelta) -> str:
    return f"{age.total_seconds() / 86400:.1f} days"


async def _reconcile(session, on_disk: list[BaseBackup]) -> None:
    """Rows for base backups taken by `shopops pitr base-backup`; removed ones marked deleted."""
    rows = {
        r.label: r for r in (await session.execute(select(PitrBaseBackup))).scalars().all()
    }
    for backup in on_disk:
        if backup.label not in rows:
            session.add(_row(backup))
    present = {b.label for b in on_disk}
    for row in rows.values():
        if row.status == "completed" and row.label not in present:
            row.status, row.deleted_at = "deleted", datetime.now(UTC)
    await session.flush()


def _row(backup: BaseBackup) -> PitrBaseBackup:
    return PitrBaseBackup(
        label=backup.label,
        path=backup.path,
        status="completed",
        started_at=datetime.fromisoformat(backup.started_at),
        finished_at=datetime.fromisoformat(backup.finished_at),
        bytes=backup.bytes,
        server_major=backup.server_major,
        start_wal=backup.start_wal or start_wal(Path(backup.path)),
    )


@activity.defn
async def take_pitr_base_backup() -> PitrBaseResult:
    """pg_basebackup into the PITR root, heartbeating while it runs, then record it."""
    began = time.monotonic()
    paths = PitrPaths.default()
    try:
        backup = await with_heartbeats(
            asyncio.to_thread(take_base_backup, source_url(), paths), "pg_basebackup"
        )
    except ArchivingOff as exc:
        raise ApplicationError(str(exc), type="ArchivingOff", non_retryable=True) from exc
    except PitrError as exc:
        raise ApplicationError(str(exc), type="BaseBackupFailed") from exc
    assert isinstance(backup, BaseBackup)
    async with session_scope() as session:
        session.add(_row(backup))
    activity.logger.info("PITR base backup %s: %.1f MB", backup.label, backup.bytes / 1e6)
    return PitrBaseResult(
        label=backup.label,
        bytes=backup.bytes,
        start_wal=backup.start_wal or "",
        seconds=round(time.monotonic() - began, 2),
    )


@activity.defn
async def prune_pitr() -> PitrPruneResult:
    """Keep the newest `pitr.keep_base_backups`; remove older ones and WAL none of the kept needs."""
    paths = PitrPaths.default()
    async with session_scope() as session:
        keep = int(await get_setting(session, "pitr.keep_base_backups"))
        completed = (
            (
                await session.execute(
                    select(PitrBaseBackup)
                    .where(PitrBaseBackup.status == "completed")
                    .order_by(PitrBaseBackup.finished_at.desc())
                )
            )
            .scalars()
            .all()
        )
        kept, old = completed[:keep], completed[keep:]
        deleted = []
        for row in old:
            await with_heartbeats(asyncio.to_thread(shutil.rmtree, row.path, True), f"removing {row.label}")
            row.status, row.deleted_at = "deleted", datetime.now(UTC)
            deleted.append(row.label)
        oldest = kept[-1] if kept else None
        if oldest is not None and oldest.start_wal is None:
            oldest.start_wal = await asyncio.to_thread(start_wal, Path(oldest.path))
        needed = oldest.start_wal if oldest is not None else None
        server_major = oldest.server_major if oldest is not None else 0
    removed = (
        await with_heartbeats(asyncio.to_thread(_clean_wal, paths.wal, needed, server_major), "pg_archivecleanup")
        if needed
        else 0
    )
    return PitrPruneResult(
        deleted=deleted, kept=[r.label for r in kept], wal_removed=removed, oldest_needed_wal=needed
    )


def _segments(wal: Path) -> int:
    return sum(1 for p in wal.iterdir() if WAL_SEGMENT.match(p.name)) if wal.exists() else 0


def _clean_wal(wal: Path, oldest_needed: str, major: int) -> int:
    """pg_archivecleanup: drop archived segments before `oldest_needed`; returns how many went.

    Runs as the server's OS user, who owns the archive (the archive_command writes it).
    """
    if not wal.exists():
        return 0
    before = _segments(wal)
    result = subprocess.run(
        [*_as_server_user(), pg_binary("pg_archivecleanup", major), str(wal), oldest_needed],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise ApplicationError(f"pg_archivecleanup failed: {result.stderr.strip()[-2000:]}")
    return before - _segments(wal)


ACTIVITIES = [plan_pitr_base_backup, take_pitr_base_backup, prune_pitr]
