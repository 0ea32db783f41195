"""Running one shop's analytics now from the API: the shop's workflow id is the lock, so a run
already going is returned instead of a second one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from api.problems import Problem
from workflows import search_attributes
from workflows.queues import Queue


class StartedOut(BaseModel):
    workflow_id: str
    run_id: str | None
    started: bool


async def start_shop_run(
    client: Client,
    run: Callable[[Any, Any], Awaitable[Any]],
    request: Any,
    *,
    workflow_id: str,
    run_kind: str,
    shop_id: int,
    what: str,
) -> StartedOut:
    """Start `run(request)` on the analytics queue as `workflow_id` unless it is running;
    `what` names the run in the error when Temporal refuses ("the analysis")."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        described = await handle.describe()
        if described.status == WorkflowExecutionStatus.RUNNING:
            return StartedOut(workflow_id=handle.id, run_id=described.run_id, started=False)
    except RPCError:
        pass  # never ran
    try:
        started = await client.start_workflow(
            run,
            request,
            id=workflow_id,
            task_queue=Queue.ANALYTICS.value,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=search_attributes.for_run(run_kind, shop_id),
        )
    except RPCError as exc:
        raise Problem(
            503, f"Could not start {what}", f"Temporal refused the workflow: {exc}"
        ) from exc
    return StartedOut(workflow_id=started.id, run_id=started.result_run_id, started=True)
