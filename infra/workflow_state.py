"""What Temporal says about a run whose workflow closed without telling shopops.

Ops terminate, cancel or reset workflows in the Temporal web console. A terminated or
cancelled workflow runs none of its own bookkeeping, so its run row would stay "running"
forever. `closed_outside` asks Temporal (describe, then the close event for the reason) and
says what the row should become; the API calls it when it reads an active run, the start path
when an active run is in the way, and the snapshot sweep for rows nobody reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHistoryEventFilterType
from temporalio.service import RPCError, RPCStatusCode

from workflows.snapshots import one_line

# a pending row whose workflow is not (yet) visible: its start is still on the way (a concurrent
# request must not fail a healthy run); after this long the start is lost
START_GRACE = timedelta(seconds=60)


@dataclass(frozen=True)
class OutsideClose:
    status: str  # the row's new status: cancelled | failed
    reason: str  # one line for the UI


async def _close_detail(client: Client, workflow_id: str) -> str:
    """The reason Temporal recorded on the close event (terminate reason and who, failure)."""
    handle = client.get_workflow_handle(workflow_id)
    async for event in handle.fetch_history_events(event_filter_type=WorkflowHistoryEventFilterType.CLOSE_EVENT):
        if event.HasField("workflow_execution_terminated_event_attributes"):
            attrs = event.workflow_execution_terminated_event_attributes
            who = f" by {attrs.identity}" if attrs.identity else ""
            return f"{who}: {attrs.reason}" if attrs.reason else who
        if event.HasField("workflow_execution_failed_event_attributes"):
            return f": {event.workflow_execution_failed_event_attributes.failure.message}"
    return ""


async def closed_outside(
    client: Client, workflow_id: str, requested_at: datetime, now: datetime | None = None
) -> OutsideClose | None:
    """What a pending/running row should become, or None while its workflow runs (or a reset
    restarted it, or Temporal cannot tell). Raises RPCError when Temporal is unreachable."""
    try:
        desc = await client.get_workflow_handle(workflow_id).describe()
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        if (now or datetime.now(UTC)) - requested_at < START_GRACE:
            return None
        return OutsideClose("failed", f"workflow {workflow_id} does not exist in Temporal (never started, or deleted)")
    status = desc.status
    if status == WorkflowExecutionStatus.TERMINATED:
        detail = await _close_detail(client, workflow_id)
        return OutsideClose("cancelled", one_line(f"terminated in Temporal{detail}"))
    if status == WorkflowExecutionStatus.CANCELED:
        return OutsideClose("cancelled", "cancelled in Temporal")
    if status == WorkflowExecutionStatus.TIMED_OUT:
        return OutsideClose("failed", "the workflow timed out in Temporal")
    if status == WorkflowExecutionStatus.FAILED:
        detail = await _close_detail(client, workflow_id)
        return OutsideClose("failed", one_line(f"the workflow failed{detail}"))
    return None  # running, continued as new, or completed (its own last activity wrote the row)
