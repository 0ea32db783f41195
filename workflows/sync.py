"""SyncWorkflow: one incremental sync pass of one shop's orders, products, customers or stock.

Runs are started only by the shop's Temporal Schedule `sync:{shop}:{resource}`: by its
interval (overlap SKIP), by webhooks (a trigger with overlap BUFFER_ONE: a storm becomes at
most one extra run) and by people (a trigger with overlap SKIP). The schedule is the lock:
it never runs two passes of the same shop and resource at once.

A pass reads Shoptet's change feed from the stored cursor, fetches the changed entities'
details with bounded concurrency, upserts them with the same mappers and loader the
snapshots use, and removes what Shoptet deleted. Once a day a pass also reconciles: it
compares counts per creation-time window with Shoptet's paginator totals and re-fetches
the windows that differ. Stock has no change feed: its pass reads every stock's supplies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from workflows import activity_names as act
from workflows.common import DB_RETRY, SHOPTET_RETRY

RESOURCES: tuple[str, ...] = ("orders", "products", "customers", "stock")
FEED_RESOURCES: tuple[str, ...] = ("orders", "products", "customers")



def sync_id(shop_id: int, resource: str) -> str:
    """Schedule id, and the prefix of every run's workflow id (the schedule adds a timestamp)."""
    return f"sync:{shop_id}:{resource}"


@dataclass(frozen=True)
class SyncRequest:
    shop_id: int
    resource: str
    reconcile: bool | None = None  # None: when the daily reconciliation is due


@dataclass(frozen=True)
class SyncPlan:
    active: bool
    reason: str | None = None  # why a pass is skipped
    reconcile: bool = False


@dataclass(frozen=True)
class PassResult:
    seen: int = 0  # change-feed entries (or supply rows for stock)
    fetched: int = 0  # detail calls made
    unchanged: int = 0  # entries already stored at that change time
    upserted: int = 0  # rows written
    deleted: int = 0
    rejected: int = 0
    cursor: str | None = None  # where the feed cursor moved (ISO time), for the report


@dataclass(frozen=True)
class ReconcileResult:
    shoptet_total: int = 0
    local_total: int = 0
    windows_compared: int = 0
    windows_differing: int = 0
    fetched: int = 0
    upserted: int = 0
    deleted: int = 0


@dataclass(frozen=True)
class FinishRequest:
    shop_id: int
    resource: str
    reconciled: bool
    rejected: int = 0


@dataclass(frozen=True)
class SyncReport:
    shop_id: int
    resource: str
    skipped: str | None = None
    changes: PassResult = field(default_factory=PassResult)
    reconciliation: ReconcileResult | None = None


@dataclass
class SyncProgress:
    phase: str = "planning"  # planning | syncing | reconciling | done | skipped | failed
    error: str | None = None


@workflow.defn
class SyncWorkflow:
    def __init__(self) -> None:
        self._progress = SyncProgress()

    @workflow.query
    def progress(self) -> SyncProgress:
        return self._progress

    @workflow.run
    async def run(self, req: SyncRequest) -> SyncReport:
        if req.resource not in RESOURCES:
            raise ApplicationError(
                f"unknown sync resource {req.resource!r}; one of {', '.join(RESOURCES)}",
                non_retryable=True,
            )
        plan: SyncPlan = await workflow.execute_activity(
            act.PLAN_SYNC,
            req,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=DB_RETRY,
            result_type=SyncPlan,
        )
        if not plan.active:
            self._progress.phase = "skipped"
            return SyncReport(req.shop_id, req.resource, skipped=plan.reason)
        try:
            self._progress.phase = "syncing"
            changes: PassResult = await workflow.execute_activity(
                act.SYNC_STOCK if req.resource == "stock" else act.SYNC_CHANGES,
                req,
                start_to_close_timeout=timedelta(hours=1),
                heartbeat_timeout=timedelta(minutes=2),
                retry_policy=SHOPTET_RETRY,
                result_type=PassResult,
            )
            reconciliation = None
            if plan.reconcile:
                self._progress.phase = "reconciling"
                reconciliation = await workflow.execute_activity(
                    act.RECONCILE,
                    req,
                    start_to_close_timeout=timedelta(hours=2),
                    heartbeat_timeout=timedelta(minutes=2),
                    retry_policy=SHOPTET_RETRY,
                    result_type=ReconcileResult,
                )
            await workflow.execute_activity(
                act.FINISH_SYNC,
                FinishRequest(req.shop_id, req.resource, reconciliation is not None, changes.rejected),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=DB_RETRY,
            )
        except ActivityError as err:
            message = str(err.cause or err)[:2000]
            self._progress.phase, self._progress.error = "failed", message
            await workflow.execute_activity(
                act.RECORD_SYNC_ERROR,
                args=[req.shop_id, req.resource, message],
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=DB_RETRY,
            )
            raise ApplicationError(f"sync of {req.resource} failed: {message}") from err
        self._progress.phase = "done"
        return SyncReport(req.shop_id, req.resource, changes=changes, reconciliation=reconciliation)
