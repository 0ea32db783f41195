"""IntegrityWorkflow: run each data check, store what it found, and never let a failure pass.

A check that raises (after its retries) is recorded as an `error` finding, which fails the run
exactly like a fault would; every failing check becomes a notification.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

from workflows import activity_names as act
from workflows.common import ONE_RETRY, SHORT_RETRY

WORKFLOW_ID = "maint:integrity"
CHECKS = (
    "items_without_orders",
    "order_totals",
    "default_partitions",
    "future_partitions",
    "shoptet_counts",
)


@dataclass(frozen=True)
class IntegrityRequest:
    checks: list[str] = field(default_factory=lambda: list(CHECKS))


@dataclass(frozen=True)
class CheckRequest:
    run_id: int
    check: str


@dataclass(frozen=True)
class CheckError:
    run_id: int
    check: str
    error: str


@dataclass(frozen=True)
class CheckOutcome:
    check: str
    status: str  # passed | failed | error (skipped shops are findings, not outcomes)
    faults: int
    detail: str


@dataclass(frozen=True)
class IntegrityReport:
    run_id: int
    status: str  # passed | failed
    outcomes: list[CheckOutcome]




@workflow.defn
class IntegrityWorkflow:
    def __init__(self) -> None:
        self._outcomes: list[CheckOutcome] = []

    @workflow.query
    def progress(self) -> list[CheckOutcome]:
        return self._outcomes

    @workflow.run
    async def run(self, req: IntegrityRequest | None = None) -> IntegrityReport:
        req = req or IntegrityRequest()
        run_id: int = await workflow.execute_activity(
            act.START_INTEGRITY_RUN,
            workflow.info().workflow_id,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=SHORT_RETRY,
        )
        for check in req.checks:
            try:
                outcome = await workflow.execute_activity(
                    act.RUN_INTEGRITY_CHECK,
                    CheckRequest(run_id, check),
                    start_to_close_timeout=timedelta(hours=1),
                    heartbeat_timeout=timedelta(minutes=5),
                    retry_policy=ONE_RETRY,
                    result_type=CheckOutcome,
                )
            except ActivityError as exc:
                outcome = await workflow.execute_activity(
                    act.RECORD_CHECK_ERROR,
                    CheckError(run_id, check, str(exc.cause or exc)),
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=SHORT_RETRY,
                    result_type=CheckOutcome,
                )
            self._outcomes.append(outcome)
        return await workflow.execute_activity(
            act.FINISH_INTEGRITY_RUN,
            run_id,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=SHORT_RETRY,
            result_type=IntegrityReport,
        )
