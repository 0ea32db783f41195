"""What one shop's analytics run workflows share: how a failed step
is told to the merchant (the innermost cause, not Temporal's wrappers)."""

from __future__ import annotations

from temporalio.exceptions import ActivityError, ChildWorkflowError


def failure_reason(err: BaseException) -> str:
    """The message of the error under the activity and child-workflow wrappers (at most 2000
    characters, as stored in the run's row)."""
    cause: BaseException | None = err
    while isinstance(cause, ActivityError | ChildWorkflowError) and cause.cause is not None:
        cause = cause.cause
    return str(cause or err)[:2000]
