"""InstallationWorkflow: the Shoptet side of installing our addon in a shop.

The install callback (`GET /api/shoptet/install?code=…`) starts it and waits for it within
Shoptet's 5-second budget: redeem the code (the OAuth token goes straight to the database,
encrypted), renew the webhook signature key and register our webhooks, then mark the shop
active. Being a workflow, the steps finish even when the HTTP answer has already gone.

The code arrives sealed (encrypted with our key), so history never holds it in the clear.
The workflow id is derived from the code: Shoptet repeating a call with the same code joins
the running installation instead of redeeming the single-use code twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from workflows import activity_names as act
from workflows import search_attributes
from workflows.queues import Queue

CODE_REJECTED = "InstallCodeRejected"

# Mutually exclusive pairs (409) decide: `order:update` over `order:cancel` (updates are far
# more common; a cancellation is also seen by the next scheduled sync), `customer:update`
# over `customer:enableOrders`/`customer:disableOrders`.
WEBHOOK_EVENTS: tuple[str, ...] = (
    "job:finished",
    "order:create",
    "order:update",
    "order:paid",
    "order:delete",
    "product:create",
    "product:update",
    "product:delete",
    "customer:create",
    "customer:update",
    "customer:delete",
    "customer:import",
    "stock:movement",
)

REDEEM_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    maximum_attempts=3,
    non_retryable_error_types=[CODE_REJECTED],
)
# Inside Shoptet's 5 s for the install callback: quick tries, or fail and let Shoptet retry.
INSTALL_SHOPTET_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=300),
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=8,
    non_retryable_error_types=["InstallationRevoked", "ShoptetPermanentError"],
)


def installation_workflow_id(code: str) -> str:
    return f"install:{hashlib.sha256(code.encode()).hexdigest()[:24]}"


@dataclass(frozen=True)
class InstallRequest:
    sealed_code: str  # the install code, encrypted with ENCRYPTION_KEYS
    redirect_uri: str  # our install URL exactly as configured in the addon
    webhook_url: str


@dataclass(frozen=True)
class Grant:
    shop_id: int
    eshop_id: int
    first_install: bool  # never installed before, or the last installation was removed


@dataclass(frozen=True)
class WebhookPlan:
    shop_id: int
    url: str
    events: list[str] = field(default_factory=lambda: list(WEBHOOK_EVENTS))


@dataclass(frozen=True)
class WebhookReport:
    registered: list[str]
    updated: list[str]
    kept: list[str]
    removed: list[str]


@dataclass(frozen=True)
class InstallResult:
    shop_id: int
    eshop_id: int
    first_install: bool
    webhooks: WebhookReport


def start_options(code: str) -> dict[str, Any]:
    return {
        "id": installation_workflow_id(code),
        "task_queue": Queue.TOKENS.value,
        # Shoptet retrying with the same code joins the running installation…
        "id_conflict_policy": WorkflowIDConflictPolicy.USE_EXISTING,
        # …and, once it succeeded, gets its result instead of a second redemption.
        "id_reuse_policy": WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        "execution_timeout": timedelta(minutes=30),
        "search_attributes": search_attributes.for_run("install"),
    }


@workflow.defn
class InstallationWorkflow:
    def __init__(self) -> None:
        self._phase = "redeeming"

    @workflow.query
    def progress(self) -> str:
        return self._phase

    @workflow.run
    async def run(self, req: InstallRequest) -> InstallResult:
        grant: Grant = await workflow.execute_activity(
            act.REDEEM_INSTALL_CODE,
            req,
            start_to_close_timeout=timedelta(seconds=15),
            retry_policy=REDEEM_RETRY,
            result_type=Grant,
        )
        self._phase = "webhooks"
        report: WebhookReport = await workflow.execute_activity(
            act.CONFIGURE_WEBHOOKS,
            WebhookPlan(grant.shop_id, req.webhook_url),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=INSTALL_SHOPTET_RETRY,
            result_type=WebhookReport,
        )
        self._phase = "activating"
        await workflow.execute_activity(
            act.ACTIVATE_SHOP,
            grant.shop_id,
            start_to_close_timeout=timedelta(seconds=15),
            retry_policy=INSTALL_SHOPTET_RETRY,
        )
        self._phase = "done"
        return InstallResult(grant.shop_id, grant.eshop_id, grant.first_install, report)
