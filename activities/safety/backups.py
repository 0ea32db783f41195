"""Backup activities: pg_dump with a checksum and row counts, retention, restore verification.

Row counts are taken inside the very snapshot pg_dump uses (`pg_export_snapshot()` +
`pg_dump --snapshot`), so a restore of the file must reproduce them exactly.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
import shutil
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO, TypeVar

import psycopg
from psycopg import conninfo, sql
from sqlalchemy import func, select, update
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.heartbeats import with_heartbeats
from activities.safety.backup_storage import BackupStorage, default_storage
from db.app_settings import get_setting
from db.config import get_settings
from db.engine import libpq_url, session_scope
from db.models import Backup
from db.notify import notify
from workflows.safety.backups import (
    BackupFailure,
    DumpRequest,
    DumpResult,
    PruneResult,
    VerifyRequest,
    VerifyResult,
)

T = TypeVar("T")
CHUNK = 1024 * 1024

LEAF_TABLES = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
ORDER BY 1, 2
"""


async def table_counts(conn: psycopg.AsyncConnection) -> dict[str, int]:
    """Exact rows of every plain table (partitions counted one by one) seen by `conn`'s snapshot."""
    counts: dict[str, int] = {}
    for schema, table in await (await conn.execute(LEAF_TABLES)).fetchall():
        query = sql.SQL("SELECT count(*) FROM {}.{}").format(
            sql.Identifier(schema), sql.Identifier(table)
        )
        row = await (await conn.execute(query)).fetchone()
        counts[f"{schema}.{table}"] = int(row[0]) if row else 0
    return counts


class MissingTool(ApplicationError):
    """A PostgreSQL client program is not installed (retrying will not help)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, non_retryable=True)


def _candidates(name: str, major: int) -> list[Path]:
    found = []
    if bindir := os.environ.get("PG_BINDIR"):
        found.append(Path(bindir) / name)
    found += [
        Path(f"/usr/lib/postgresql/{major}/bin/{name}"),  # Debian, Ubuntu
        Path(f"/usr/pgsql-{major}/bin/{name}"),  # RHEL, Fedora (PGDG)
        Path(f"/opt/homebrew/opt/postgresql@{major}/bin/{name}"),
        Path(f"/usr/local/opt/postgresql@{major}/bin/{name}"),
    ]
    if on_path := shutil.which(name):
        found.append(Path(on_path))
    return found


def _tool_major(path: Path) -> int | None:
    import subprocess

    try:
        out = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=10
        ).stdout
    except OSError:
        return None
    m = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(m.group(1)) if m else None


def pg_binary(name: str, major: int, exact: bool = False) -> str:
    """The `name` program (pg_dump, pg_restore, pg_ctl, …) of PostgreSQL `major` or newer.

    Prefers the exact major version (Debian's /usr/lib/postgresql/<major>/bin, PG_BINDIR),
    then any newer one on PATH; an older one would refuse the server or write an incomplete file.
    Server programs (pg_ctl, postgres) need `exact`: a data directory runs only on its own major.
    """
    seen = []
    for path in _candidates(name, major):
        if not (path.is_file() and os.access(path, os.X_OK)):
            continue
        version = _tool_major(path)
        seen.append(f"{path} ({version})")
        if version is not None and (version == major if exact else version >= major):
            return str(path)
    raise MissingTool(
        f"{name} for PostgreSQL {major} not found (looked at: {', '.join(seen) or 'nothing usable'}); "
        f"install it (Debian: apt-get install postgresql-client-{major}) or set PG_BINDIR "
        f"to the folder that holds it"
    )


async def server_major(conn: psycopg.AsyncConnection) -> tuple[int, str]:
    """(major version number, full version string) of the server behind `conn`."""
    row = await (
        await conn.execute(
            "SELECT current_setting('server_version_num')::int, current_setting('server_version')"
        )
    ).fetchone()
    assert row is not None
    return int(row[0]) // 10000, str(row[1])


def libpq_env(url: str) -> dict[str, str]:
    """Connection settings as PG* variables, so no password shows up in a process list."""
    names = {
        "host": "PGHOST",
        "port": "PGPORT",
        "user": "PGUSER",
        "password": "PGPASSWORD",
        "dbname": "PGDATABASE",
        "sslmode": "PGSSLMODE",
    }
    params = conninfo.conninfo_to_dict(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG") or k == "PG_BINDIR"}
    env.update({names[k]: str(v) for k, v in params.items() if k in names and v is not None})
    return env


async def run_tool(argv: Sequence[str], env: dict[str, str] | None = None) -> str:
    """Run a client program; its stderr tail becomes the error when it fails."""
    proc = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await proc.communicate()
    except asyncio.CancelledError:  # the activity was cancelled or timed out: stop the program too
        proc.kill()
        await proc.wait()
        raise
    if proc.returncode != 0:
        tail = err.decode(errors="replace").strip()[-2000:]
        raise RuntimeError(f"{Path(argv[0]).name} exited with {proc.returncode}: {tail}")
    return out.decode(errors="replace")


def sha256_of(stream: BinaryIO) -> str:
    digest = hashlib.sha256()
    with stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@activity.defn
async def create_backup(req: DumpRequest) -> DumpResult:
    """Dump the database to storage under `req.name`; idempotent per name (a retry redoes it)."""
    storage = default_storage()
    started = time.monotonic()
    url = libpq_url()
    async with await psycopg.AsyncConnection.connect(url) as conn:
        major, version = await server_major(conn)
    pg_dump = pg_binary("pg_dump", major)
    backup_id = await _start_row(req.name, storage.label, version)
    staging = get_settings().backup_dir / ".staging"
    staging.mkdir(parents=True, exist_ok=True)
    attempt = activity.info().attempt if activity.in_activity() else 1
    dump_path = staging / f"{req.name}.{attempt}"  # a late earlier attempt writes its own file
    async with await psycopg.AsyncConnection.connect(url) as snap:
        await snap.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        exported = await (await snap.execute("SELECT pg_export_snapshot()")).fetchone()
        assert exported is not None  # the function answers one row
        snapshot = exported[0]
        dump = run_tool(
            [
                pg_dump,
                "--format=custom",
                "--compress=6",
                f"--snapshot={snapshot}",
                f"--file={dump_path}",
            ],
            env=libpq_env(url),
        )
        dump_task = asyncio.ensure_future(dump)
        try:  # counted in the same snapshot as the dump, while it runs
            counts = await with_heartbeats(table_counts(snap), "counting rows")
        except BaseException:
            dump_task.cancel()
            raise
        await with_heartbeats(dump_task, "pg_dump")
        await snap.execute("COMMIT")
    digest = await with_heartbeats(asyncio.to_thread(sha256_of, dump_path.open("rb")), "checksum")
    sidecar = staging / f"{req.name}.{attempt}.sha256"
    sidecar.write_text(f"{digest}  {req.name}\n")
    stored = await with_heartbeats(asyncio.to_thread(storage.put, req.name, dump_path), "storing")
    await asyncio.to_thread(storage.put, f"{req.name}.sha256", sidecar)
    async with session_scope() as session:
        await session.execute(
            update(Backup)
            .where(Backup.id == backup_id)
            .values(
                status="completed",
                file_bytes=stored.size,
                sha256=digest,
                table_counts=counts,
                finished_at=datetime.now(UTC),
                error=None,
            )
        )
    return DumpResult(
        backup_id=backup_id,
        name=req.name,
        file_bytes=stored.size,
        sha256=digest,
        tables=len(counts),
        rows=sum(counts.values()),
        seconds=round(time.monotonic() - started, 3),
    )


async def _start_row(name: str, storage_label: str, version: str) -> int:
    from sqlalchemy.dialects.postgresql import insert

    database = conninfo.conninfo_to_dict(libpq_url()).get("dbname") or "?"
    values = {
        "name": name,
        "status": "running",
        "storage": storage_label,
        "database": str(database),
    }
    stmt = insert(Backup).values(**values, server_version=version[:50])
    stmt = stmt.on_conflict_do_update(
        index_elements=["name"],
        set_={"status": "running", "started_at": datetime.now(UTC), "error": None},
    ).returning(Backup.id)
    async with session_scope() as session:
        return int((await session.execute(stmt)).scalar_one())


@activity.defn
async def record_backup_failure(failure: BackupFailure) -> None:
    """The dump gave up: mark its row and tell ops (once, from the workflow, not per retry)."""
    async with session_scope() as session:
        await session.execute(
            update(Backup)
            .where(Backup.name == failure.name)
            .values(status="failed", error=failure.error[:4000], finished_at=datetime.now(UTC))
        )
        await notify(
            session,
            level="critical",
            kind="backup.failed",
            title=f"Database backup {failure.name} failed",
            title_cs=f"Záloha databáze {failure.name} selhala",
            body=failure.error[:2000],
            body_cs=failure.error[:2000],  # the tool's own words, shown as is
            data={"name": failure.name},
        )


@activity.defn
async def prune_backups() -> PruneResult:
    """Delete backups older than `backups.retention_days`; the newest good backup always stays."""
    storage = default_storage()
    async with session_scope() as session:
        days = int(await get_setting(session, "backups.retention_days"))
        cutoff = datetime.now(UTC) - timedelta(days=days)
        newest_good = (
            await session.execute(
                select(Backup.id)
                .where(Backup.status == "completed")
                .where(Backup.verify_status.is_(None) | (Backup.verify_status == "passed"))
                .order_by(Backup.started_at.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        old = (
            (
                await session.execute(
                    select(Backup)
                    .where(Backup.status.in_(("completed", "failed")), Backup.started_at < cutoff)
                    .where(Backup.id != (newest_good or 0))
                    .order_by(Backup.started_at)
                )
            )
            .scalars()
            .all()
        )
        deleted = []
        for backup in old:
            for name in (backup.name, f"{backup.name}.sha256"):
                await asyncio.to_thread(storage.delete, name)
            backup.status, backup.deleted_at = "deleted", datetime.now(UTC)
            deleted.append(backup.name)
        await session.flush()
        kept = (
            await session.execute(
                select(func.count()).select_from(Backup).where(Backup.status == "completed")
            )
        ).scalar_one()
    return PruneResult(deleted=deleted, kept=int(kept))


@activity.defn
async def newest_backup() -> int:
    async with session_scope() as session:
        found = await _newest_completed(session)
    if found is None:
        raise ApplicationError("there is no completed backup to verify", non_retryable=True)
    return found


async def _newest_completed(session) -> int | None:
    return (
        await session.execute(
            select(Backup.id)
            .where(Backup.status == "completed")
            .order_by(Backup.started_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


@activity.defn
async def verification_due() -> int | None:
    """The newest backup's id when the last verification is older than the setting, else None."""
    async with session_scope() as session:
        days = int(await get_setting(session, "backups.verify_interval_days"))
        last = (
            await session.execute(
                select(Backup.verified_at).order_by(Backup.verified_at.desc().nulls_last()).limit(1)
            )
        ).scalar_one_or_none()
        if last is not None and last > datetime.now(UTC) - timedelta(days=days):
            return None
        return await _newest_completed(session)


@activity.defn
async def verify_backup(req: VerifyRequest) -> VerifyResult:
    """Checksum the stored file, restore it into a scratch database and compare row counts."""
    storage = default_storage()
    started = time.monotonic()
    async with session_scope() as session:
        backup_id = req.backup_id or await _newest_completed(session)
        backup = await session.get(Backup, backup_id) if backup_id else None
    if backup is None or backup.status != "completed":
        raise ApplicationError(
            f"backup {req.backup_id} is not a completed backup", non_retryable=True
        )
    problem = await with_heartbeats(
        asyncio.to_thread(_checksum_problem, storage, backup.name, backup.sha256 or ""), "checksum"
    )
    if problem:
        result = VerifyResult(backup.id, "corrupt", error=problem)
    else:
        result = await _restore_and_compare(backup, storage)
    result = VerifyResult(
        result.backup_id,
        result.status,
        result.tables,
        result.mismatches,
        result.error,
        round(time.monotonic() - started, 3),
    )
    await _record_verification(backup, result)
    return result


def _checksum_problem(storage: BackupStorage, name: str, recorded: str) -> str | None:
    """What is wrong with the stored file's checksum, or None when file, sidecar and row agree."""
    try:
        actual = sha256_of(storage.open(name))
    except FileNotFoundError as exc:
        return str(exc)
    try:
        with storage.open(f"{name}.sha256") as f:
            beside = f.read().decode().split()[0]
    except (FileNotFoundError, IndexError):
        beside = None
    if actual != recorded:
        return f"checksum mismatch: file {actual}, recorded at dump time {recorded}"
    if beside != recorded:
        return f"checksum file beside {name} says {beside}, recorded at dump time {recorded}"
    return None


async def _restore_and_compare(backup: Backup, storage: BackupStorage) -> VerifyResult:
    url = libpq_url()
    scratch = f"shopops_verify_{backup.id}_{secrets.token_hex(3)}"
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as admin:
        major, _ = await server_major(admin)
        pg_restore = pg_binary("pg_restore", major)
        await admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
        local = storage.local_path(backup.name)
        fetched: Path | None = None
        try:
            if local is None:
                fetched = get_settings().backup_dir / ".staging" / f"verify-{scratch}-{backup.name}"
                fetched.parent.mkdir(parents=True, exist_ok=True)
                local = await with_heartbeats(asyncio.to_thread(storage.get, backup.name, fetched), "fetching")
            scratch_url = _with_database(url, scratch)
            try:
                await with_heartbeats(
                    run_tool(
                        [
                            pg_restore,
                            "--no-owner",
                            "--no-privileges",
                            "--exit-on-error",
                            "--jobs=2",
                            f"--dbname={scratch}",
                            str(local),
                        ],
                        env=libpq_env(scratch_url),
                    ),
                    "pg_restore",
                )
            except RuntimeError as exc:
                return VerifyResult(backup.id, "failed", error=str(exc))
            async with await psycopg.AsyncConnection.connect(scratch_url) as restored:
                counts = await table_counts(restored)
        finally:
            if fetched is not None:
                fetched.unlink(missing_ok=True)
            await admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch))
            )
    dumped = {k: int(v) for k, v in backup.table_counts.items()}
    mismatches = {
        table: [dumped.get(table, -1), counts.get(table, -1)]
        for table in sorted(set(dumped) | set(counts))
        if dumped.get(table, -1) != counts.get(table, -1)
    }
    status = "failed" if mismatches else "passed"
    return VerifyResult(backup.id, status, tables=len(counts), mismatches=mismatches)


def _with_database(url: str, database: str) -> str:
    params = conninfo.conninfo_to_dict(url)
    params["dbname"] = database
    return conninfo.make_conninfo("", **params)


async def _record_verification(backup: Backup, result: VerifyResult) -> None:
    detail = {"tables": result.tables, "mismatches": result.mismatches, "seconds": result.seconds}
    if result.error:
        detail["error"] = result.error
    async with session_scope() as session:
        await session.execute(
            update(Backup)
            .where(Backup.id == backup.id)
            .values(
                verify_status=result.status, verified_at=datetime.now(UTC), verify_detail=detail
            )
        )
        if result.status != "passed":
            what = {"corrupt": "is corrupt", "failed": "did not restore to the same row counts"}
            what_cs = {"corrupt": "je poškozená", "failed": "se neobnovila se stejnými počty řádků"}
            await notify(
                session,
                level="critical",
                kind=f"backup.verify_{result.status}",
                title=f"Backup {backup.name} {what[result.status]}",
                title_cs=f"Záloha {backup.name} {what_cs[result.status]}",
                body=result.error or f"tables that differ (dumped, restored): {result.mismatches}",
                body_cs=result.error
                or f"tabulky, které se liší (v záloze, po obnovení): {result.mismatches}",
                data={"backup_id": backup.id, **detail},
            )


ACTIVITIES = [
    create_backup,
    record_backup_failure,
    prune_backups,
    newest_backup,
    verification_due,
    verify_backup,
]
