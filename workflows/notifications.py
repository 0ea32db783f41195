"""Delivery of notifications beyond the app (e-mail, Slack) and of queued e-mails.

`NotificationDeliveryWorkflow` runs every minute from a schedule and drains the deliveries
`db.notify` queued, digesting floods; `OutgoingMailWorkflow` sends one queued e-mail (a
purchase order to its supplier). Both run on the notifications queue, so a flood of e-mail
never waits behind snapshots or exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows import activity_names as act
from workflows.common import QUICK_RETRY

# An SMTP server or webhook that is down for minutes: retry with backoff for about an hour.
SEND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=10),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    maximum_attempts=10,
    non_retryable_error_types=["MailOff", "BudgetExceeded"],
)


@dataclass(frozen=True)
class DeliveryRequest:
    at: str | None = None  # ISO time the digest window is measured at (tests); None = now


@dataclass(frozen=True)
class DeliveryResult:
    sent: int = 0
    digests: int = 0
    digested: int = 0
    failed: int = 0
    pending: int = 0  # left for the next run (a channel that is down)


@dataclass(frozen=True)
class MailRequest:
    mail_id: int


@dataclass(frozen=True)
class MailResult:
    status: str  # sent | failed | refused


@workflow.defn
class NotificationDeliveryWorkflow:
    @workflow.run
    async def run(self, req: DeliveryRequest) -> DeliveryResult:
        return await workflow.execute_activity(
            act.DELIVER_NOTIFICATIONS,
            req,
            result_type=DeliveryResult,
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=QUICK_RETRY,
        )


@workflow.defn
class OutgoingMailWorkflow:
    @workflow.run
    async def run(self, req: MailRequest) -> MailResult:
        return await workflow.execute_activity(
            act.SEND_OUTGOING_MAIL,
            req,
            result_type=MailResult,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=SEND_RETRY,
        )

