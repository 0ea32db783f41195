"""Channel syncs: a connected store's new and changed orders in, the unified stock out.

`ChannelSyncWorkflow` (id `channels:{shop}:{connection}:sync`, the lock: one sync of a store at a
time) pulls orders modified since the connection's cursor one page per activity (each page
imported, reserved and its cursor committed in one transaction, so a retry re-imports at most a
page and changes nothing), then runs `ChannelStockPushWorkflow` as a child. The push workflow
(`channels:{shop}:{connection}:stock`) reads the store's listings page by page to learn which
SKU is which product, then pushes the available-to-sell figure of every listing whose quantity
differs, in batches. With the connection's catalog push on (`SyncStart.catalog_push`, behind
the `channel-catalog-push` patch so older histories replay), the sync then pushes the price and
available stock of every listed SKU in batches of 100 (WooCommerce's batch endpoints). Both answer a `progress` query and carry the `Channel` search attribute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError

from workflows import activity_names as act
from workflows import search_attributes
from workflows.common import DB_RETRY

# A call to a store: the adapter already retried 429/5xx a few times within the call; these
# retries cover an outage of minutes. Bad keys and refused requests never get better.
CHANNEL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=2),
    maximum_attempts=6,
    non_retryable_error_types=["ChannelAuthError", "ChannelRequestError", "Unsupported"],
)
PAGE_TIMEOUT = timedelta(minutes=5)  # one page of 100 orders, or one push batch, with retries
PUSH_BATCH = 50  # listings per push activity: a failed batch repeats at most this many calls
CATALOG_BATCH = 100  # listings per catalog push activity: one batch request per product kind


@dataclass(frozen=True)
class ChannelSyncRequest:
    shop_id: int
    connection_id: int
    trigger: str = "manual"  # manual | schedule
    push_stock: bool = True  # the connection's stock_push_enabled


@dataclass(frozen=True)
class SyncStart:
    channel: str
    since: datetime | None  # orders modified after this (the cursor less an overlap)
    catalog_push: bool = False  # the connection's catalog_push_enabled


@dataclass(frozen=True)
class OrdersPageRequest:
    connection_id: int
    since: datetime | None
    page: int


@dataclass(frozen=True)
class OrdersPageResult:
    imported: int
    oversold: int
    total: int
    total_pages: int


@dataclass(frozen=True)
class ListingsPageRequest:
    connection_id: int
    page: int
    parent: str | None = None  # a variable product: its variations


@dataclass(frozen=True)
class ListingsPageResult:
    items: int
    total_pages: int
    parents: list[str] = field(default_factory=list[str])


async def _record_listings(connection_id: int, progress: ChannelSyncProgress) -> None:
    """Read the store's listings (products, then each variable product's variations) page by
    page into `channel_listings`: which remote id sells which SKU."""
    parents: list[str] = []
    page = 1
    while True:
        listed: ListingsPageResult = await workflow.execute_activity(
            act.RECORD_CHANNEL_LISTINGS_PAGE,
            ListingsPageRequest(connection_id, page),
            start_to_close_timeout=PAGE_TIMEOUT,
            retry_policy=CHANNEL_RETRY,
            result_type=ListingsPageResult,
        )
        progress.listings += listed.items
        parents.extend(listed.parents)
        if page >= listed.total_pages:
            break
        page += 1
    for parent in parents:
        page = 1
        while True:
            listed = await workflow.execute_activity(
                act.RECORD_CHANNEL_LISTINGS_PAGE,
                ListingsPageRequest(connection_id, page, parent),
                start_to_close_timeout=PAGE_TIMEOUT,
                retry_policy=CHANNEL_RETRY,
                result_type=ListingsPageResult,
            )
            progress.listings += listed.items
            if page >= listed.total_pages:
                break
            page += 1


@dataclass(frozen=True)
class PushBatchRequest:
    connection_id: int
    after: str  # keyset: the last remote id handled
    limit: int = PUSH_BATCH


@dataclass(frozen=True)
class PushBatchResult:
    checked: int
    pushed: int
    next_after: str | None  # None: done


@dataclass(frozen=True)
class FinishRequest:
    connection_id: int
    error: str | None = None


@dataclass
class ChannelSyncProgress:
    phase: str = "starting"  # starting | orders | listings | pushing | catalog | done | failed
    orders_total: int = 0
    orders_imported: int = 0
    oversold: int = 0
    pages_done: int = 0
    pages_total: int = 0
    listings: int = 0
    stock_pushed: int = 0
    error: str | None = None
    catalog_pushed: int = 0  # listings whose price (and stock) the catalog push sent


def _reason(exc: BaseException) -> str:
    """The innermost message of an activity or child failure (what the merchant can act on)."""
    while isinstance(exc, ActivityError | ChildWorkflowError) and exc.cause is not None:
        exc = exc.cause
    return str(exc.message if isinstance(exc, ApplicationError) else exc)


@workflow.defn
class ChannelStockPushWorkflow:
    def __init__(self) -> None:
        self._progress = ChannelSyncProgress(phase="listings")

    @workflow.query
    def progress(self) -> ChannelSyncProgress:
        return self._progress

    @workflow.run
    async def run(self, req: ChannelSyncRequest) -> ChannelSyncProgress:
        await _record_listings(req.connection_id, self._progress)
        self._progress.phase = "pushing"
        after: str | None = ""
        while after is not None:
            pushed: PushBatchResult = await workflow.execute_activity(
                act.PUSH_CHANNEL_STOCK_BATCH,
                PushBatchRequest(req.connection_id, after),
                start_to_close_timeout=PAGE_TIMEOUT,
                retry_policy=CHANNEL_RETRY,
                result_type=PushBatchResult,
            )
            self._progress.stock_pushed += pushed.pushed
            after = pushed.next_after
        self._progress.phase = "done"
        return self._progress


@workflow.defn
class ChannelSyncWorkflow:
    def __init__(self) -> None:
        self._progress = ChannelSyncProgress()

    @workflow.query
    def progress(self) -> ChannelSyncProgress:
        return self._progress

    @workflow.run
    async def run(self, req: ChannelSyncRequest) -> ChannelSyncProgress:
        search_attributes.set_status("running")
        try:
            await self._sync(req)
        except (ActivityError, ChildWorkflowError) as exc:
            self._progress.phase = "failed"
            self._progress.error = _reason(exc)
            await workflow.execute_activity(
                act.FINISH_CHANNEL_SYNC,
                FinishRequest(req.connection_id, self._progress.error),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=DB_RETRY,
            )
            search_attributes.set_status("failed")
            raise ApplicationError(self._progress.error, non_retryable=True) from exc
        await workflow.execute_activity(
            act.FINISH_CHANNEL_SYNC,
            FinishRequest(req.connection_id),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=DB_RETRY,
        )
        self._progress.phase = "done"
        search_attributes.set_status("completed")
        return self._progress

    async def _sync(self, req: ChannelSyncRequest) -> None:
        start: SyncStart = await workflow.execute_activity(
            act.BEGIN_CHANNEL_SYNC,
            req.connection_id,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=DB_RETRY,
            result_type=SyncStart,
        )
        self._progress.phase = "orders"
        page = 1
        while True:
            result: OrdersPageResult = await workflow.execute_activity(
                act.IMPORT_CHANNEL_ORDERS_PAGE,
                OrdersPageRequest(req.connection_id, start.since, page),
                start_to_close_timeout=PAGE_TIMEOUT,
                retry_policy=CHANNEL_RETRY,
                result_type=OrdersPageResult,
            )
            self._progress.orders_total = result.total
            self._progress.pages_total = result.total_pages
            self._progress.orders_imported += result.imported
            self._progress.oversold += result.oversold
            self._progress.pages_done = page
            if page >= result.total_pages:
                break
            page += 1
        if req.push_stock:
            await self._push_stock(req, start)
        if start.catalog_push and workflow.patched("channel-catalog-push"):
            await self._push_catalog(req)

    async def _push_stock(self, req: ChannelSyncRequest, start: SyncStart) -> None:
        self._progress.phase = "listings"
        info = workflow.info()
        pushed: ChannelSyncProgress = await workflow.execute_child_workflow(
            ChannelStockPushWorkflow.run,
            req,
            id=f"channels:{req.shop_id}:{req.connection_id}:stock",
            task_queue=info.task_queue,
            search_attributes=search_attributes.for_run(
                "channel-stock", req.shop_id, channel=start.channel
            ),
        )
        self._progress.listings = pushed.listings
        self._progress.stock_pushed = pushed.stock_pushed

    async def _push_catalog(self, req: ChannelSyncRequest) -> None:
        """Prices and available stock of every listed SKU, in batches through the store's batch
        endpoints; the listings come from the stock push, or are read here when it is off."""
        if not req.push_stock:
            self._progress.phase = "listings"
            await _record_listings(req.connection_id, self._progress)
        self._progress.phase = "catalog"
        after: str | None = ""
        while after is not None:
            pushed: PushBatchResult = await workflow.execute_activity(
                act.PUSH_CHANNEL_CATALOG_BATCH,
                PushBatchRequest(req.connection_id, after, CATALOG_BATCH),
                start_to_close_timeout=PAGE_TIMEOUT,
                retry_policy=CHANNEL_RETRY,
                result_type=PushBatchResult,
            )
            self._progress.catalog_pushed += pushed.pushed
            after = pushed.next_after


def sync_workflow_id(shop_id: int, connection_id: int) -> str:
    return f"channels:{shop_id}:{connection_id}:sync"
