"""`shopops backup …` (dumps, verification, point-in-time restore) and `shopops pitr …` (WAL archiving).

Dumps and verifications run as BackupWorkflow on a worker. `pitr setup`, `pitr base-backup` and
`backup restore --at` act on this host's PostgreSQL files directly (ops steps on the database
server); `pitr run` starts the scheduled PitrBaseBackupWorkflow (base backup when due, pruning).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import typer

if TYPE_CHECKING:
    from activities.safety.pitr import PitrPaths

app = typer.Typer(no_args_is_help=True)
pitr_app = typer.Typer(no_args_is_help=True)

PitrDir = typer.Option(
    None, "--pitr-dir", help="PITR root (default PITR_DIR or <data_dir>/pitr): wal/, base/, restores/."
)


def _paths(pitr_dir: Path | None) -> PitrPaths:
    from activities.safety.pitr import PitrPaths

    return PitrPaths(pitr_dir) if pitr_dir else PitrPaths.default()


def _echo(value: object) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


def _run_workflow(req: object, workflow: str = "BackupWorkflow", join: bool = False) -> dict[str, Any]:
    """Start a maintenance workflow (BackupWorkflow, PitrBaseBackupWorkflow) and wait for its report.

    `join`: use the on-demand dump's fixed id, so this joins a dump already running (API or CLI)
    instead of starting a second one; otherwise the id is unique to this call."""
    from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

    from infra.temporal_client import connect
    from workflows import search_attributes
    from workflows.queues import Queue
    from workflows.safety.backups import ON_DEMAND_ID
    from workflows.safety.backups import WORKFLOW_ID as BACKUP_ID
    from workflows.safety.pitr import WORKFLOW_ID as PITR_ID

    kind = {"BackupWorkflow": BACKUP_ID, "PitrBaseBackupWorkflow": PITR_ID}[workflow]

    async def run() -> dict[str, Any]:
        client = await connect()
        workflow_id = ON_DEMAND_ID if join else f"{kind}:cli:{uuid.uuid4().hex}"
        handle = await client.start_workflow(
            workflow,
            req,
            id=workflow_id,
            task_queue=Queue.MAINTENANCE.value,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            search_attributes=search_attributes.for_run(kind),
        )
        typer.echo(
            f"{workflow_id} run {handle.result_run_id}; waiting for a worker on {Queue.MAINTENANCE.value} …",
            err=True,
        )
        return dict(await handle.result())

    return asyncio.run(run())


@app.command("run")
def run(
    verify: bool = typer.Option(
        None, "--verify/--no-verify", help="Verify the new dump (default: when due)."
    ),
) -> None:
    """Dump the database now (pg_dump, checksum, retention), as BackupWorkflow on a worker."""
    from workflows.safety.backups import BackupRequest

    _echo(_run_workflow(BackupRequest(verify=verify), join=True))


@app.command("verify")
def verify(backup_id: int = typer.Argument(None, help="Backup id (default: the newest).")) -> None:
    """Checksum a backup and restore it into a scratch database to compare row counts."""
    from workflows.safety.backups import BackupRequest

    report = _run_workflow(BackupRequest(dump=False, verify=True, backup_id=backup_id))
    _echo(report["verify"])
    if (report["verify"] or {}).get("status") != "passed":
        raise typer.Exit(1)


@app.command("list")
def list_backups(all_: bool = typer.Option(False, "--all", help="Include deleted ones.")) -> None:
    """The backups with size, checksum and verify state, newest first."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from db.engine import sync_engine
    from db.models import Backup

    with Session(sync_engine()) as session:
        query = select(Backup).order_by(Backup.started_at.desc())
        if not all_:
            query = query.where(Backup.status != "deleted")
        rows = session.execute(query).scalars().all()
    typer.echo(f"{'id':>5}  {'started (UTC)':19}  {'status':9}  {'MB':>8}  {'verified':9}  name")
    for b in rows:
        size = f"{(b.file_bytes or 0) / 1e6:8.1f}"
        typer.echo(
            f"{b.id:>5}  {b.started_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}  {b.status:9}  {size}  "
            f"{b.verify_status or '-':9}  {b.name}"
        )


def parse_moment(value: str, tz: str) -> datetime:
    """An ISO time; without an offset it is read in `tz`."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a time; write e.g. 2026-11-28T14:05:00+01:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(tz))


@app.command("restore")
def restore(
    at: str = typer.Option(
        ..., "--at", help="Moment to restore to, ISO 8601 (e.g. 2026-11-28T14:05:00+01:00)."
    ),
    tz: str = typer.Option("Europe/Prague", help="Time zone of --at when it has no offset."),
    port: int = typer.Option(None, help="Port of the restored cluster (default: a free one)."),
    data_dir: Path = typer.Option(
        None, help="Data directory to create (default <pitr-dir>/restores/<time>)."
    ),
    pitr_dir: Path = PitrDir,
) -> None:
    """Start a throwaway cluster restored to a moment (base backup + archived WAL), then say how to connect."""
    from activities.safety.pitr import PitrError, free_port, restore_to

    moment = parse_moment(at, tz)
    try:
        cluster = restore_to(moment, _paths(pitr_dir), port or free_port(), data_dir)
    except PitrError as exc:
        typer.echo(f"restore failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"restored to {cluster.target_time} from base backup {cluster.base_backup}")
    typer.echo(
        f"  connect:  psql '{cluster.dsn}'   (or: psql -h {cluster.data_dir} -p {cluster.port} -U postgres)"
    )
    typer.echo(f"  log:      {cluster.log}")
    typer.echo(f"  stop:     {cluster.stop_command}   then remove {cluster.data_dir}")


@pitr_app.command("setup")
def setup(
    pitr_dir: Path = PitrDir,
    archive_timeout: int = typer.Option(
        300, help="Seconds after which a quiet server still archives."
    ),
) -> None:
    """Turn on WAL archiving on DATABASE_URL's server (superuser; run on the database host)."""
    from activities.safety.pitr import setup_archiving
    from db.engine import libpq_url

    report = setup_archiving(libpq_url(), _paths(pitr_dir), archive_timeout)
    _echo(report)
    if report["restart_needed"]:
        typer.echo(
            "restart PostgreSQL for "
            + ", ".join(report["restart_needed"])
            + " (Debian: systemctl restart postgresql@15-main), then take a base backup",
            err=True,
        )


@pitr_app.command("base-backup")
def base_backup(pitr_dir: Path = PitrDir) -> None:
    """Take a base backup (pg_basebackup) that archived WAL can roll forward from."""
    from activities.safety.pitr import PitrError, take_base_backup
    from db.engine import libpq_url

    try:
        _echo(asdict(take_base_backup(libpq_url(), _paths(pitr_dir))))
    except PitrError as exc:
        typer.echo(f"base backup failed: {exc}", err=True)
        raise typer.Exit(1) from exc


@pitr_app.command("run")
def pitr_run(
    force: bool = typer.Option(False, "--force", help="Take a base backup even if the newest is recent."),
) -> None:
    """Run maint:pitr-base now on a worker: a base backup when due, then prune old ones and their WAL."""
    from workflows.safety.pitr import PitrBaseRequest

    _echo(_run_workflow(PitrBaseRequest(force=force), "PitrBaseBackupWorkflow"))


@pitr_app.command("list")
def pitr_list(all_: bool = typer.Option(False, "--all", help="Include deleted ones.")) -> None:
    """The recorded PITR base backups, newest first, with the first WAL segment each needs."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from db.engine import sync_engine
    from db.models import PitrBaseBackup

    with Session(sync_engine()) as session:
        query = select(PitrBaseBackup).order_by(PitrBaseBackup.finished_at.desc())
        if not all_:
            query = query.where(PitrBaseBackup.status != "deleted")
        rows = session.execute(query).scalars().all()
    typer.echo(f"{'label':17}  {'finished (UTC)':19}  {'status':9}  {'MB':>8}  start WAL")
    for b in rows:
        typer.echo(
            f"{b.label:17}  {b.finished_at.astimezone(UTC):%Y-%m-%d %H:%M:%S}  {b.status:9}  "
            f"{b.bytes / 1e6:8.1f}  {b.start_wal or '-'}"
        )
