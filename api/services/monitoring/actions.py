"""Actions from the monitoring page, each the Temporal operation ops would do in the console.

Retry is a reset of the failed run to its first completed workflow task: Temporal starts a new
run of the same workflow id with the same input and history up to that point, which is what the
console's "reset to first workflow task" does; the activities are idempotent, so work done
before the failure is not duplicated. Domains with their own retry (snapshot runs) keep theirs.
"""

from __future__ import annotations

import uuid

from pydantic import BaseModel
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from api.problems import Problem

RETRYABLE = (
    WorkflowExecutionStatus.FAILED,
    WorkflowExecutionStatus.TIMED_OUT,
    WorkflowExecutionStatus.TERMINATED,
)
SCHEDULE_ACTIONS = ("pause", "unpause", "trigger")


class RetriedOut(BaseModel):
    workflow_id: str
    run_id: str  # the new run the reset started
    retry_of: str  # the failed run it replaces


class ScheduleActionOut(BaseModel):
    schedule_id: str
    paused: bool  # the schedule's state after the action
    action: str


def _not_found(exc: RPCError) -> bool:
    return exc.status == RPCStatusCode.NOT_FOUND


async def retry_run(client: Client, workflow_id: str, run_id: str, who: str) -> RetriedOut:
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    try:
        desc = await handle.describe()
    except RPCError as exc:
        if _not_found(exc):
            raise Problem(
                404, "Workflow run not found", f"No run {run_id} of workflow {workflow_id}."
            ) from None
        raise
    if desc.status not in RETRYABLE:
        state = desc.status.name.lower() if desc.status else "unknown"
        raise Problem(
            409, "Only failed runs can be retried", f"Run {run_id} of {workflow_id} is {state}."
        )
    first_task = None
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            first_task = event.event_id
            break
    if first_task is None:
        raise Problem(
            409,
            "Run cannot be reset",
            f"Run {run_id} of {workflow_id} failed before its first workflow task completed; "
            "start it again from its own page or the Temporal console.",
        )
    response = await client.workflow_service.reset_workflow_execution(
        ResetWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
            reason=f"retried from the monitoring page by {who}",
            workflow_task_finish_event_id=first_task,
            request_id=str(uuid.uuid4()),
        )
    )
    return RetriedOut(workflow_id=workflow_id, run_id=response.run_id, retry_of=run_id)


async def schedule_action(
    client: Client, schedule_id: str, action: str, who: str
) -> ScheduleActionOut:
    if action not in SCHEDULE_ACTIONS:
        raise Problem(
            422,
            "Unknown schedule action",
            f"action must be one of {', '.join(SCHEDULE_ACTIONS)}, not {action!r}",
        )
    handle = client.get_schedule_handle(schedule_id)
    note = f"{action}d from the monitoring page by {who}" if action != "trigger" else None
    try:
        if action == "pause":
            await handle.pause(note=note)
        elif action == "unpause":
            await handle.unpause(note=note)
        else:
            await handle.trigger()
        desc = await handle.describe()
    except RPCError as exc:
        if _not_found(exc):
            raise Problem(404, "Schedule not found", f"No schedule {schedule_id!r}.") from None
        raise
    return ScheduleActionOut(
        schedule_id=schedule_id, paused=desc.schedule.state.paused, action=action
    )
