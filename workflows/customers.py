"""CustomerAnalyticsWorkflow: one shop's nightly customer intelligence, with a track record.

Each product's price sensitivity is estimated first (its elasticity and regular price, which the
summaries measure discounts against). Orders stream customer chunk by customer chunk (registered customers by GUID, then guests by
e-mail), each chunk summarised and staged; the fit reads the summaries, picks the model that
predicted the kept-back periods best, scores every customer and stores metrics and the report;
item rules for recommendations are mined from the baskets. Not enough data is a stored shop
state, not a failure.

One run per shop at a time: the workflow id `analytics:customers:{shop_id}` is the lock. The
app-wide schedule `analytics-customers-nightly` runs `CustomerAnalyticsNightlyWorkflow`, which
starts one child per active shop under that id, a few at a time, skipping shops whose run (e.g.
one started from the API) is still going.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from workflows import activity_names as act
from workflows.common import DB_RETRY, HEAVY_RETRY
from workflows.shop_fan_out import NightlyFanOut, NightlyRequest, ShopOutcome, start_shop_child
from workflows.shop_runs import failure_reason

NIGHTLY_SCHEDULE_ID = "analytics-customers-nightly"
NIGHTLY_WORKFLOW_ID = "analytics:customers:nightly"
RUN_KIND = "analytics-customers"
CUSTOMER_PHASES = ("registered", "guests")  # keyset order: customer GUIDs, then guest e-mails
# histories before it had no price-sensitivity step (product elasticities, regular prices)
PRICE_SENSITIVITY_PATCH = "customers-price-sensitivity"


def workflow_id(shop_id: int) -> str:
    return f"analytics:customers:{shop_id}"


@dataclass(frozen=True)
class CustomerAnalyticsRequest:
    shop_id: int
    trigger: str = "schedule"  # schedule | manual
    # ISO 8601 time the run takes as now (an injected clock for tests and backfills);
    # None: the workflow's own clock
    as_of: str | None = None


@dataclass(frozen=True)
class StartRunRequest:
    shop_id: int
    trigger: str
    workflow_id: str
    run_id: str
    started_at: str  # ISO 8601 UTC, the workflow's clock: the observation end of this run


@dataclass(frozen=True)
class CustomerRun:
    """What every step of one run needs; made once by `start_customer_run`."""

    report_id: int
    shop_id: int
    timezone: str
    freq: str
    holdout_periods: int
    observation_end: str  # ISO 8601 UTC (strings: the workflow sandbox does not decode datetimes)
    customers_total: int
    chunk_customers: int
    rules_min_count: int
    rules_days: int
    # the shop's cost model of shipping and payment (db.order_margins.CostModel); defaults for
    # runs recorded before profit was computed
    shipping_cost_share: float = 1.0
    shipping_cost_per_order: float = 0.0
    payment_cost_percent: float = 0.0
    payment_cost_per_order: float = 0.0


@dataclass(frozen=True)
class ChunkRequest:
    run: CustomerRun
    phase: str  # one of CUSTOMER_PHASES
    after: str | None  # the last customer key of the previous chunk


@dataclass(frozen=True)
class ChunkResult:
    customers: int
    orders: int
    last_key: str | None  # None when the phase has no customers left


@dataclass(frozen=True)
class FitOutcome:
    status: str  # completed | not_enough_data
    message: str | None
    customers: int
    chosen_model: str | None = None
    beats_baseline: bool | None = None


@dataclass(frozen=True)
class RulesOutcome:
    baskets: int
    rules: int
    bundles: int


@dataclass(frozen=True)
class PriceSensitivityOutcome:
    products: int
    estimated: int  # products with an elasticity; the others are "unknown", with a reason
    categories: int


@dataclass(frozen=True)
class FinishRequest:
    report_id: int
    status: str  # completed | not_enough_data | failed
    message: str | None = None


@dataclass(frozen=True)
class CustomerAnalyticsResult:
    shop_id: int
    report_id: int
    status: str
    message: str | None
    customers: int
    chosen_model: str | None
    item_rules: int


@dataclass
class Progress:
    # starting | prices | summarising | fitting | recommendations | done | not_enough_data | failed
    phase: str = "starting"
    customers_processed: int = 0
    customers_total: int | None = None
    report_id: int | None = None
    message: str | None = None


@workflow.defn
class CustomerAnalyticsWorkflow:
    def __init__(self) -> None:
        self._progress = Progress()

    @workflow.query
    def progress(self) -> Progress:
        return self._progress

    @workflow.run
    async def run(self, req: CustomerAnalyticsRequest) -> CustomerAnalyticsResult:
        info = workflow.info()
        run: CustomerRun = await workflow.execute_activity(
            act.START_CUSTOMER_RUN,
            StartRunRequest(
                req.shop_id,
                req.trigger,
                info.workflow_id,
                info.run_id,
                req.as_of or workflow.now().isoformat(),
            ),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=DB_RETRY,
            result_type=CustomerRun,
        )
        self._progress.report_id = run.report_id
        self._progress.customers_total = run.customers_total
        try:
            if workflow.patched(PRICE_SENSITIVITY_PATCH):
                # first: the summaries count discounted units against the regular prices
                self._progress.phase = "prices"
                await workflow.execute_activity(
                    act.ESTIMATE_PRICE_SENSITIVITY,
                    run,
                    start_to_close_timeout=timedelta(hours=1),
                    heartbeat_timeout=timedelta(minutes=2),
                    retry_policy=HEAVY_RETRY,
                    result_type=PriceSensitivityOutcome,
                )
            self._progress.phase = "summarising"
            for phase in CUSTOMER_PHASES:
                await self._summarise(run, phase)
            self._progress.phase = "fitting"
            fit: FitOutcome = await workflow.execute_activity(
                act.FIT_CUSTOMER_MODELS,
                run,
                start_to_close_timeout=timedelta(hours=2),
                heartbeat_timeout=timedelta(minutes=2),
                retry_policy=HEAVY_RETRY,
                result_type=FitOutcome,
            )
            self._progress.phase = "recommendations"
            rules: RulesOutcome = await workflow.execute_activity(
                act.MINE_ITEM_RULES,
                run,
                start_to_close_timeout=timedelta(hours=1),
                heartbeat_timeout=timedelta(minutes=2),
                retry_policy=HEAVY_RETRY,
                result_type=RulesOutcome,
            )
        except ActivityError as exc:
            message = failure_reason(exc)
            self._progress.phase, self._progress.message = "failed", message
            await workflow.execute_activity(
                act.FINISH_CUSTOMER_RUN,
                FinishRequest(run.report_id, "failed", message),
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=DB_RETRY,
            )
            raise ApplicationError(
                f"customer analytics of shop {req.shop_id} failed: {message}", non_retryable=True
            ) from exc
        await workflow.execute_activity(
            act.FINISH_CUSTOMER_RUN,
            FinishRequest(run.report_id, fit.status, fit.message),
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=DB_RETRY,
        )
        self._progress.phase = "done" if fit.status == "completed" else fit.status
        self._progress.message = fit.message
        return CustomerAnalyticsResult(
            req.shop_id,
            run.report_id,
            fit.status,
            fit.message,
            fit.customers,
            fit.chosen_model,
            rules.rules,
        )

    async def _summarise(self, run: CustomerRun, phase: str) -> None:
        after: str | None = None
        while True:
            chunk: ChunkResult = await workflow.execute_activity(
                act.SUMMARISE_CUSTOMER_CHUNK,
                ChunkRequest(run, phase, after),
                start_to_close_timeout=timedelta(minutes=30),
                heartbeat_timeout=timedelta(minutes=2),
                retry_policy=DB_RETRY,
                result_type=ChunkResult,
            )
            self._progress.customers_processed += chunk.customers
            if chunk.last_key is None:
                return
            after = chunk.last_key


@workflow.defn
class CustomerAnalyticsNightlyWorkflow(NightlyFanOut):
    """Scheduled: one CustomerAnalyticsWorkflow per active shop, `parallel` at a time."""

    @workflow.run
    async def run(self, req: NightlyRequest | None = None) -> list[ShopOutcome]:
        return await self.fan_out(req, act.PLAN_CUSTOMER_ANALYTICS, _start_child)


async def _start_child(
    shop_id: int,
) -> workflow.ChildWorkflowHandle[CustomerAnalyticsWorkflow, CustomerAnalyticsResult]:
    return await start_shop_child(
        CustomerAnalyticsWorkflow.run,
        CustomerAnalyticsRequest(shop_id, "schedule"),
        workflow_id=workflow_id(shop_id),
        run_kind=RUN_KIND,
        shop_id=shop_id,
    )
