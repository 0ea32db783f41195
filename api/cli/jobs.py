"""Start or inspect workflows from the shell."""

from __future__ import annotations

import asyncio
import json

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("system-check")
def system_check() -> None:
    """Run SystemCheckWorkflow on a worker and print what it saw."""
    import uuid
    from dataclasses import asdict
    from datetime import UTC, datetime

    from infra.temporal_client import connect
    from workflows.queues import Queue
    from workflows.system import SystemCheckWorkflow

    async def _run() -> dict[str, object]:
        client = await connect()
        report = await client.execute_workflow(
            SystemCheckWorkflow.run,
            id=f"system-check:{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}",
            task_queue=Queue.SYSTEM.value,
        )
        return asdict(report)

    typer.echo(json.dumps(asyncio.run(_run()), indent=2))


@app.command("describe")
def describe(workflow_id: str) -> None:
    """Show a workflow's status, search attributes and (if it has one) its progress query."""
    from temporalio.service import RPCError, RPCStatusCode

    from infra.temporal_client import connect

    async def _run() -> dict[str, object]:
        client = await connect()
        handle = client.get_workflow_handle(workflow_id)
        try:
            desc = await handle.describe()
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            typer.echo(
                f"no workflow {workflow_id!r}: it never ran or its history was deleted "
                "(a schedule's runs are named <schedule id>-<time>; see the Temporal console)",
                err=True,
            )
            raise typer.Exit(1) from None
        out: dict[str, object] = {
            "workflow_id": workflow_id,
            "type": desc.workflow_type,
            "status": desc.status.name if desc.status else None,
            "start_time": str(desc.start_time),
            "close_time": str(desc.close_time) if desc.close_time else None,
        }
        try:
            progress = await handle.query("progress")
            out["progress"] = progress
        except Exception as exc:  # no such query, or closed without a worker
            out["progress"] = f"unavailable: {exc}"
        return out

    typer.echo(json.dumps(asyncio.run(_run()), indent=2, default=str))
