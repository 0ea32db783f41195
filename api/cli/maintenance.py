"""Database maintenance from the shell: partitions, archive, legacy migration, index audit.

Each command starts its workflow on a worker and waits for the report (the work never runs in
this process), except the index audit, which only reads statistics.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from typing import Any

import typer

app = typer.Typer(no_args_is_help=True)
partitions_app = typer.Typer(no_args_is_help=True, help="Partition lifecycle of orders and items.")
archive_app = typer.Typer(
    no_args_is_help=True, help="Quarters past the retention, and restoring them."
)
app.add_typer(partitions_app, name="partitions")
app.add_typer(archive_app, name="archive")


def _run_workflow(run: Any, arg: Any, workflow_id: str, wait: bool) -> None:
    from temporalio.client import WorkflowFailureError
    from temporalio.exceptions import WorkflowAlreadyStartedError

    from infra.temporal_client import connect
    from workflows import search_attributes
    from workflows.queues import Queue

    async def _go() -> dict[str, Any]:
        client = await connect()
        try:
            handle = await client.start_workflow(
                run,
                arg,
                id=workflow_id,
                task_queue=Queue.MAINTENANCE.value,
                search_attributes=search_attributes.for_run(workflow_id.split(":")[1]),
            )
        except WorkflowAlreadyStartedError:
            raise typer.BadParameter(
                f"{workflow_id} is already running; follow it with `shopops job describe {workflow_id}`"
            ) from None
        if not wait:
            return {"workflow_id": workflow_id, "run_id": handle.result_run_id, "status": "started"}
        try:
            return asdict(await handle.result())
        except WorkflowFailureError as exc:
            typer.echo(f"{workflow_id} failed: {exc.cause}", err=True)
            raise typer.Exit(1) from None

    typer.echo(json.dumps(asyncio.run(_go()), indent=2, default=str))


WAIT = typer.Option(
    True, "--wait/--no-wait", help="Wait for the report, or only start the workflow."
)
AS_OF = typer.Option(None, help="Act as of this date (YYYY-MM-DD); default today.")


@partitions_app.command("run")
def partitions_run(
    as_of: str = AS_OF,
    future_quarters: int = typer.Option(
        None, help="Quarters to keep premade (setting partitions.future_quarters)."
    ),
    retention_days: int = typer.Option(
        None, help="Archive older quarters (setting archive.retention_days)."
    ),
    wait: bool = WAIT,
) -> None:
    """Premake quarters, empty the default partitions, move quarters past retention to the archive."""
    from workflows.maintenance.partitions import MaintenanceRequest, PartitionMaintenanceWorkflow

    req = MaintenanceRequest(
        as_of=as_of, future_quarters=future_quarters, retention_days=retention_days
    )
    _run_workflow(PartitionMaintenanceWorkflow.run, req, "maint:partitions", wait)


@archive_app.command("run")
def archive_run(
    as_of: str = AS_OF,
    retention_days: int = typer.Option(
        None, help="Archive older quarters (setting archive.retention_days)."
    ),
    wait: bool = WAIT,
) -> None:
    """Move every quarter older than the retention to the archive (verified), nothing else."""
    from workflows.maintenance.partitions import MaintenanceRequest, PartitionMaintenanceWorkflow

    req = MaintenanceRequest(steps=["retention"], as_of=as_of, retention_days=retention_days)
    _run_workflow(PartitionMaintenanceWorkflow.run, req, "maint:archive", wait)


@archive_app.command("restore")
def archive_restore(
    quarter: str = typer.Argument(..., help="The quarter to bring back, e.g. 2023q1."),
    hold_days: int = typer.Option(
        30, min=1, help="Keep it hot this many days before retention applies again."
    ),
    wait: bool = WAIT,
) -> None:
    """Bring one quarter of orders and items back from the archive into the hot tables."""
    from db.partitions import Quarter
    from workflows.maintenance.partitions import ArchiveRestoreWorkflow, RestoreRequest

    try:
        label = Quarter.parse(quarter).label
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    _run_workflow(
        ArchiveRestoreWorkflow.run, RestoreRequest(label, hold_days), f"maint:restore:{label}", wait
    )


@app.command("legacy-migrate")
def legacy_migrate(
    table: str = typer.Option(
        "order_items", help="The legacy (unpartitioned) table to migrate in place."
    ),
    key_column: str = typer.Option("id", help="Its serial key, walked in batches."),
    batch_rows: int = typer.Option(10000, min=100, help="Rows copied per transaction."),
    swap: bool = typer.Option(
        True, "--swap/--no-swap", help="Swap in the partitioned table when verified."
    ),
    wait: bool = WAIT,
) -> None:
    """Copy a legacy table into the partitioned layout while it stays in use, verify, swap."""
    from workflows.maintenance.legacy_migration import (
        LegacyMigrationRequest,
        LegacyMigrationWorkflow,
    )

    req = LegacyMigrationRequest(
        table=table, key_column=key_column, batch_rows=batch_rows, swap=swap
    )
    _run_workflow(LegacyMigrationWorkflow.run, req, f"maint:legacy-migration:{table}", wait)


@app.command("index-audit")
def index_audit(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a summary."),
) -> None:
    """Slow statements, sequential scans on large tables, unused, duplicate and missing indexes."""
    from db.audit import run_audit
    from db.engine import session_scope

    async def _go() -> list[dict[str, Any]]:
        async with session_scope() as session:
            return [asdict(r) for r in await run_audit(session)]

    results = asyncio.run(_go())
    if as_json:
        typer.echo(json.dumps(results, indent=2, default=str))
        return
    for r in results:
        typer.echo(f"[{r['state']:>11}] {r['name']}: {r['summary']}")
        for row in r["rows"][:10]:
            typer.echo(f"              {json.dumps(row, default=str)}")
    if any(r["state"] == "warning" for r in results):
        raise typer.Exit(1)
