"""OutboundDeliveryWorkflow: one event to one merchant endpoint, retried on a durable timer.

One workflow per delivery. Each attempt is a single activity try (no activity retries for the
HTTP answer: a refused or failed POST is a result, recorded in the delivery log); between
attempts the workflow sleeps with exponential backoff, which survives worker restarts and costs
nothing while waiting. After `retry_seconds` without success the delivery gives up, and the
endpoint's run of failed deliveries may switch it off.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows import activity_names as act
from workflows.common import DB_RETRY

WORKFLOW_PREFIX = "outbound-delivery:"


@dataclass(frozen=True)
class DeliveryRequest:
    delivery_id: int
    backoff_seconds: float = 30
    max_backoff_seconds: float = 3600
    retry_seconds: float = 24 * 3600


@dataclass(frozen=True)
class AttemptOutcome:
    delivered: bool
    status_code: int | None
    # stop retrying: the endpoint was disabled or deleted, or the target is refused (SSRF guard)
    stop: str | None = None


@dataclass(frozen=True)
class DeliveryResult:
    status: str  # delivered | gave_up | cancelled
    attempts: int
    status_code: int | None


def workflow_id(delivery_id: int) -> str:
    return f"{WORKFLOW_PREFIX}{delivery_id}"


def backoff(attempt: int, base: float, ceiling: float) -> float:
    """Seconds to wait after failed attempt `attempt` (1-based): base, 2·base, 4·base … ≤ ceiling."""
    return float(min(ceiling, base * (2 ** (attempt - 1))))


@workflow.defn
class OutboundDeliveryWorkflow:
    def __init__(self) -> None:
        self._attempts = 0

    @workflow.query
    def attempts(self) -> int:
        return self._attempts

    @workflow.run
    async def run(self, req: DeliveryRequest) -> DeliveryResult:
        waited = 0.0
        outcome = AttemptOutcome(delivered=False, status_code=None)
        while True:
            self._attempts += 1
            outcome = await workflow.execute_activity(
                act.ATTEMPT_WEBHOOK_DELIVERY,
                args=[req.delivery_id, self._attempts],
                # the POST has its own timeout; this only bounds a stuck worker
                start_to_close_timeout=timedelta(minutes=2),
                # only our own failures (database) are retried here, briefly; an endpoint's
                # failure is an outcome, retried by the timer below
                retry_policy=RetryPolicy(maximum_attempts=3, initial_interval=timedelta(seconds=2)),
                result_type=AttemptOutcome,
            )
            if outcome.delivered or outcome.stop:
                break
            pause = backoff(self._attempts, req.backoff_seconds, req.max_backoff_seconds)
            if waited + pause > req.retry_seconds:
                break
            await workflow.sleep(timedelta(seconds=pause))
            waited += pause
        status = "delivered" if outcome.delivered else "cancelled" if outcome.stop else "gave_up"
        await workflow.execute_activity(
            act.FINISH_WEBHOOK_DELIVERY,
            args=[req.delivery_id, status, outcome.stop],
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=DB_RETRY,
        )
        return DeliveryResult(status=status, attempts=self._attempts, status_code=outcome.status_code)
