"""InventoryWorkflow: one shop's nightly purchasing plan, with the accuracy behind it.

Steps: record today's stock (the stock history that marks stock-out days as censored demand);
import the days of the shop's weather region not stored yet (from the Open-Meteo-compatible
archive, where the shop's weather source is http);
forecast every variant chunk by chunk (daily demand aggregated in SQL, forecasts with 80 %
intervals, backtest MASE against seasonal naive, reorder point, EOQ, order-by date, and the
sales and stock anomalies of the recent days), each chunk in a child process; choose suppliers
and quantities for what needs ordering (one MILP over the shop); notify new anomalies once;
store the run report. Everything is stored per shop, the latest run's replacing the last.

One run per shop at a time: the workflow id `analytics:inventory:{shop_id}` is the lock. The
app-wide schedule `analytics-inventory-nightly` runs `InventoryNightlyWorkflow`, which starts
one child per active shop under that id, skipping shops whose run is still going.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from workflows import activity_names as act
from workflows.common import DB_RETRY, HEAVY_RETRY
from workflows.shop_fan_out import NightlyFanOut, NightlyRequest, ShopOutcome, start_shop_child
from workflows.shop_runs import failure_reason

NIGHTLY_SCHEDULE_ID = "analytics-inventory-nightly"
NIGHTLY_WORKFLOW_ID = "analytics:inventory:nightly"
RUN_KIND = "analytics-inventory"


def workflow_id(shop_id: int) -> str:
    return f"analytics:inventory:{shop_id}"


@dataclass(frozen=True)
class InventoryRequest:
    shop_id: int
    trigger: str = "schedule"  # schedule | manual


@dataclass(frozen=True)
class StartRunRequest:
    shop_id: int
    trigger: str
    workflow_id: str
    run_id: str
    started_at: datetime  # the workflow's clock: the history ends with the day before it


@dataclass(frozen=True)
class PlanSettings:
    """The shop's planning settings, read once per run so every chunk uses the same."""

    service_level: float
    holding_cost_rate: float
    order_cost: float
    order_window_days: int
    budget: float  # 0: no limit
    lead_time_days: float  # for variants without a supplier offer
    lead_time_sd_days: float
    anomaly_days: int
    notify_severity: str
    max_notifications: int
    holidays: str  # "" for none
    weather_region: str = ""  # the stored weather series the forecasts may use ("": none)


@dataclass(frozen=True)
class InventoryRun:
    """What every step of one run needs; made once by `start_inventory_run`."""

    id: int  # inventory_runs.id
    shop_id: int
    timezone: str
    currency: str
    as_of: str  # ISO date: the last complete shop-local day of the history
    history_from: str  # ISO date
    horizon_days: int
    variants_total: int
    chunk_variants: int
    settings: PlanSettings
    observed_at: str  # ISO time the stock snapshot is taken (a datetime field does not decode
    # in the workflow sandbox here: its type hint resolves to the sandbox's restricted proxy)
    # the last variant code of every full chunk, in code order: the chunks are known up front,
    # so `parallel_chunks` of them are forecast at once (one child process each)
    chunk_lasts: list[str] = field(default_factory=list[str])
    parallel_chunks: int = 1


@dataclass(frozen=True)
class ChunkRequest:
    run: InventoryRun
    after: str | None  # the last variant code of the previous chunk
    until: str | None = None  # the chunk's last code (None: `chunk_variants` after `after`)


@dataclass(frozen=True)
class ChunkResult:
    variants: int
    forecast: int
    needs: int
    anomalies: int
    last_code: str | None  # None when no variants are left
    seconds: float = 0.0


@dataclass(frozen=True)
class PlanResult:
    recommendations: int
    expected_cost: float
    message: str | None = None  # why the plan is partial (budget, infeasible)


@dataclass(frozen=True)
class FinishRequest:
    run_id: int
    status: str  # completed | failed
    message: str | None = None
    forecast_seconds: float = 0.0


@dataclass(frozen=True)
class InventoryResult:
    shop_id: int
    run_id: int
    status: str
    variants: int
    forecast: int
    recommendations: int
    anomalies: int
    notifications: int
    message: str | None = None


@dataclass
class Progress:
    phase: str = "starting"  # stock | weather | forecasting | purchasing | anomalies | done | failed
    variants_done: int = 0
    variants_total: int | None = None
    run_id: int | None = None
    message: str | None = None


@workflow.defn
class InventoryWorkflow:
    def __init__(self) -> None:
        self._progress = Progress()

    @workflow.query
    def progress(self) -> Progress:
        return self._progress

    @workflow.run
    async def run(self, req: InventoryRequest) -> InventoryResult:
        info = workflow.info()
        run: InventoryRun = await workflow.execute_activity(
            act.START_INVENTORY_RUN,
            StartRunRequest(
                req.shop_id, req.trigger, info.workflow_id, info.run_id, workflow.now()
            ),
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=DB_RETRY,
            result_type=InventoryRun,
        )
        self._progress.run_id = run.id
        self._progress.variants_total = run.variants_total
        try:
            self._progress.phase = "stock"
            await workflow.execute_activity(
                act.SNAPSHOT_STOCK,
                run,
                start_to_close_timeout=timedelta(minutes=10),
                retry_policy=DB_RETRY,
                result_type=int,
            )
            if workflow.patched("inventory-weather"):
                self._progress.phase = "weather"
                await workflow.execute_activity(
                    act.IMPORT_INVENTORY_WEATHER,
                    run,
                    start_to_close_timeout=timedelta(minutes=10),
                    retry_policy=DB_RETRY,
                    result_type=int,
                )
            self._progress.phase = "forecasting"
            forecast, anomalies, seconds = await self._forecast(run)
            self._progress.phase = "purchasing"
            plan: PlanResult = await workflow.execute_activity(
                act.PLAN_INVENTORY_PURCHASES,
                run,
                start_to_close_timeout=timedelta(hours=1),
                heartbeat_timeout=timedelta(minutes=2),
                retry_policy=HEAVY_RETRY,
                result_type=PlanResult,
            )
            self._progress.phase = "anomalies"
            notified: int = await workflow.execute_activity(
                act.NOTIFY_INVENTORY_ANOMALIES,
                run,
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=DB_RETRY,
                result_type=int,
            )
        except ActivityError as exc:
            message = failure_reason(exc)
            self._progress.phase, self._progress.message = "failed", message
            await workflow.execute_activity(
                act.FINISH_INVENTORY_RUN,
                FinishRequest(run.id, "failed", message),
                start_to_close_timeout=timedelta(minutes=5),
                retry_policy=DB_RETRY,
            )
            raise ApplicationError(
                f"inventory planning of shop {req.shop_id} failed: {message}", non_retryable=True
            ) from exc
        await workflow.execute_activity(
            act.FINISH_INVENTORY_RUN,
            FinishRequest(run.id, "completed", plan.message, seconds),
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=DB_RETRY,
        )
        self._progress.phase, self._progress.message = "done", plan.message
        return InventoryResult(
            req.shop_id,
            run.id,
            "completed",
            run.variants_total,
            forecast,
            plan.recommendations,
            anomalies,
            notified,
            plan.message,
        )

    async def _chunk(self, request: ChunkRequest) -> ChunkResult:
        chunk: ChunkResult = await workflow.execute_activity(
            act.FORECAST_INVENTORY_CHUNK,
            request,
            start_to_close_timeout=timedelta(hours=2),
            heartbeat_timeout=timedelta(minutes=2),
            retry_policy=HEAVY_RETRY,
            result_type=ChunkResult,
        )
        self._progress.variants_done += chunk.variants
        return chunk

    async def _forecast(self, run: InventoryRun) -> tuple[int, int, float]:
        """Every variant chunk by chunk; returns (variants forecast, anomalies, seconds).

        The chunks whose bounds the run's start found (`chunk_lasts`) go `parallel_chunks` at a
        time: one reads or stores while another computes, and each core has a chunk. The last
        one takes what is left after them, then chunk by chunk as before if more came."""
        done: list[ChunkResult] = []
        after: str | None = None
        if workflow.patched("inventory-parallel-chunks") and run.chunk_lasts:
            gate = asyncio.Semaphore(max(run.parallel_chunks, 1))

            async def bounded(request: ChunkRequest) -> ChunkResult:
                async with gate:
                    return await self._chunk(request)

            starts: list[str | None] = [None, *run.chunk_lasts[:-1]]
            done = list(
                await asyncio.gather(
                    *(
                        bounded(ChunkRequest(run, start, until))
                        for start, until in zip(starts, run.chunk_lasts, strict=True)
                    )
                )
            )
            after = run.chunk_lasts[-1]
        while True:
            chunk = await self._chunk(ChunkRequest(run, after))
            done.append(chunk)
            if chunk.last_code is None:
                break
            after = chunk.last_code
        return (
            sum(c.forecast for c in done),
            sum(c.anomalies for c in done),
            sum(c.seconds for c in done),
        )


@workflow.defn
class InventoryNightlyWorkflow(NightlyFanOut):
    """Scheduled: one InventoryWorkflow per active shop, `parallel` at a time."""

    @workflow.run
    async def run(self, req: NightlyRequest | None = None) -> list[ShopOutcome]:
        return await self.fan_out(req, act.PLAN_INVENTORY_NIGHTLY, _start_child)


async def _start_child(
    shop_id: int,
) -> workflow.ChildWorkflowHandle[InventoryWorkflow, InventoryResult]:
    return await start_shop_child(
        InventoryWorkflow.run,
        InventoryRequest(shop_id, "schedule"),
        workflow_id=workflow_id(shop_id),
        run_kind=RUN_KIND,
        shop_id=shop_id,
    )
