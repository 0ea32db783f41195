"""Activities of InventoryWorkflow: the I/O around the pure inventory analytics.

The forecasting of a chunk and the purchase plan are CPU-bound, so they run in a child process
(activities.child_process) while the activity thread heartbeats with the child's progress; the
small database steps run as plain async or thread activities.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, text, update
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import child_process
from activities.child_process import Beat, run_in_child
from activities.inventory import sql
from activities.inventory.chunk import ChunkPolicy, chunk_results
from activities.inventory.purchases import PurchaseSettings, recommend
from activities.inventory.root_causes import BASELINE_DAYS, explain_anomalies, opening_stocks
from activities.inventory.weather import OpenMeteoWeather, WeatherError
from activities.inventory.weather_import import import_missing
from activities.pg_copy import connect
from activities.shop_fan_out import nightly_plan
from activities.shop_runs import close_dead_runs
from db.app_settings import get_setting
from db.config import get_settings
from db.engine import session_scope
from db.models import InventoryAnomaly, Shop
from db.notify import SEVERITY_CS, cs_count, cs_day, cs_number, cs_short_day, notify
from infra.outbound_webhooks.events import publish
from workflows.inventory import (
    ChunkRequest,
    ChunkResult,
    FinishRequest,
    InventoryRun,
    PlanResult,
    PlanSettings,
    StartRunRequest,
)
from workflows.shop_fan_out import NightlyPlan

if TYPE_CHECKING:
    import pandas as pd
    import psycopg

SEVERITIES = ("low", "medium", "high")
NOT_RETRYABLE = frozenset({"ValueError", "PurchasingInfeasible"})

child_process.preload(__name__)


@activity.defn
async def plan_inventory_nightly(shop_ids: list[int] | None) -> NightlyPlan:
    """The shops to plan tonight (given ones, or every active shop) and how many at once."""
    return await nightly_plan(shop_ids, "analytics.inventory.parallel_shops")


@activity.defn
async def start_inventory_run(req: StartRunRequest) -> InventoryRun:
    """Record the run (idempotently, by workflow and run id), close what a dead run left, read
    the shop's settings once and count the variants so progress has a total."""
    async with session_scope() as session:
        shop = await session.get(Shop, req.shop_id)
        if shop is None:
            raise ApplicationError(f"shop {req.shop_id} does not exist", non_retryable=True)

        async def setting(name: str) -> Any:
            return await get_setting(session, f"analytics.inventory.{name}", shop.id)

        settings = PlanSettings(
            service_level=float(await setting("service_level")),
            holding_cost_rate=float(await setting("holding_cost_rate")),
            order_cost=float(await setting("order_cost")),
            order_window_days=int(await setting("order_window_days")),
            budget=float(await setting("budget")),
            lead_time_days=float(await setting("lead_time_days")),
            lead_time_sd_days=float(await setting("lead_time_sd_days")),
            anomaly_days=int(await setting("anomaly_days")),
            notify_severity=str(await setting("notify_severity")),
            max_notifications=int(await setting("max_notifications")),
            holidays=str(await setting("holidays") or ""),
            weather_region=(
                str(await setting("weather_region"))
                if await setting("weather_source") != "off"
                else ""
            ),
        )
        _check(settings)
        as_of = req.started_at.astimezone(ZoneInfo(shop.timezone)).date() - timedelta(days=1)
        history_from = as_of - timedelta(days=int(await setting("history_days")) - 1)
        ids = {"shop": shop.id, "workflow": req.workflow_id, "run": req.run_id}
        await close_dead_runs(session, "inventory_runs", shop.id, req.workflow_id, req.run_id)
        variants, currency = (
            await session.execute(
                text(
                    "SELECT count(*), mode() WITHIN GROUP (ORDER BY currency) FROM variants "
                    "WHERE shop_id = :shop"
                ),
                ids,
            )
        ).one()
        horizon = int(await setting("horizon_days"))
        chunk = int(await get_setting(session, "analytics.inventory.chunk_variants"))
        # the last code of every full chunk (the keyset order of sql.chunk_variants)
        lasts = (
            (
                await session.execute(
                    text(
                        "SELECT code FROM (SELECT code, row_number() OVER (ORDER BY code) AS n "
                        "FROM variants WHERE shop_id = :shop) v WHERE n % :chunk = 0 ORDER BY code"
                    ),
                    {"shop": shop.id, "chunk": chunk},
                )
            )
            .scalars()
            .all()
        )
        run_id = (
            await session.execute(
                text(
                    "INSERT INTO inventory_runs (shop_id, workflow_id, run_id, trigger, status, "
                    "as_of, history_from, horizon_days, currency, variants_total) VALUES (:shop, "
                    ":workflow, :run, :trigger, 'running', :as_of, :history_from, :horizon, "
                    ":currency, :variants) ON CONFLICT (workflow_id, run_id) "
                    "DO UPDATE SET status = 'running' RETURNING id"
                ),
                {
                    **ids,
                    "trigger": req.trigger,
                    "as_of": as_of,
                    "history_from": history_from,
                    "horizon": horizon,
                    "currency": currency or "CZK",
                    "variants": variants,
                },
            )
        ).scalar_one()
        return InventoryRun(
            id=run_id,
            shop_id=shop.id,
            timezone=shop.timezone,
            currency=currency or "CZK",
            as_of=as_of.isoformat(),
            history_from=history_from.isoformat(),
            horizon_days=horizon,
            variants_total=int(variants),
            chunk_variants=chunk,
            settings=settings,
            observed_at=req.started_at.isoformat(),
            chunk_lasts=[str(code) for code in lasts],
            parallel_chunks=os.cpu_count() or 1,
        )


def _check(settings: PlanSettings) -> None:
    """Settings the pure module would refuse later fail the run now, saying which."""
    problems: list[str] = []
    if not 0 < settings.service_level < 1:
        problems.append(f"service_level must be below 1, got {settings.service_level}")
    if settings.notify_severity not in SEVERITIES:
        problems.append(
            f"notify_severity must be one of {', '.join(SEVERITIES)}, "
            f"got {settings.notify_severity!r}"
        )
    if problems:
        raise ApplicationError(
            "analytics.inventory settings: " + "; ".join(problems), non_retryable=True
        )


@activity.defn
def snapshot_stock(run: InventoryRun) -> int:
    """Record today's stock as the end of the run's as_of day (rows only where it changed)."""
    with connect() as conn:
        written = sql.snapshot_stock(
            conn,
            run.shop_id,
            date.fromisoformat(run.as_of),
            datetime.fromisoformat(run.observed_at),
        )
        if written:  # a retry finds the rows there and must not zero the count
            sql.update_run(conn, run.id, {"stock_rows": written})
    return written


@activity.defn
async def import_inventory_weather(run: InventoryRun) -> int:
    """Import the days of the shop's weather region from history_from to as_of that are not
    stored yet, from the Open-Meteo-compatible archive (where the shop's weather source is
    http); returns the days added. An archive that fails is logged, not fatal: the forecasts
    then use the weather only if the stored series covers the history anyway."""
    async with session_scope() as session:

        async def setting(name: str) -> Any:
            return await get_setting(session, f"analytics.inventory.{name}", run.shop_id)

        if not run.settings.weather_region or await setting("weather_source") != "http":
            return 0
        url = str(await get_setting(session, "analytics.inventory.weather_url") or "")
        latitude = float(await setting("weather_latitude"))
        longitude = float(await setting("weather_longitude"))
    source = OpenMeteoWeather(url or get_settings().weather_api_url)
    start, end = date.fromisoformat(run.history_from), date.fromisoformat(run.as_of)

    def fetch() -> int:
        with connect() as conn:
            return import_missing(
                conn, run.settings.weather_region, latitude, longitude, source, start, end
            )

    try:
        return await asyncio.to_thread(fetch)
    except WeatherError as error:
        activity.logger.warning("weather of shop %s not imported: %s", run.shop_id, error)
        return 0


@activity.defn
def forecast_inventory_chunk(req: ChunkRequest) -> ChunkResult:
    """Forecast, plan and check the next chunk of variants (in a child process)."""
    return run_in_child(forecast_and_store, req, not_retryable=NOT_RETRYABLE)


@activity.defn
def plan_inventory_purchases(run: InventoryRun) -> PlanResult:
    """Choose suppliers and quantities for every variant that needs ordering (in a child)."""
    return run_in_child(plan_and_store, run, not_retryable=NOT_RETRYABLE)


@activity.defn
async def notify_inventory_anomalies(run: InventoryRun) -> int:
    """One notification per new anomaly at or above the shop's severity (the strongest first,
    at most `max_notifications`, the rest summed up in one more). An anomaly is notified once:
    it is marked in the same transaction, so a retried activity raises nothing twice."""
    settings = run.settings
    levels = SEVERITIES[SEVERITIES.index(settings.notify_severity) :]
    recent_from = date.fromisoformat(run.as_of) - timedelta(days=settings.anomaly_days - 1)
    async with session_scope() as session:
        found = (
            (
                await session.execute(
                    select(InventoryAnomaly)
                    .where(
                        InventoryAnomaly.shop_id == run.shop_id,
                        InventoryAnomaly.notified_at.is_(None),
                        InventoryAnomaly.severity.in_(levels),
                        InventoryAnomaly.day >= recent_from,
                    )
                    .order_by(InventoryAnomaly.score.desc(), InventoryAnomaly.id)
                    .with_for_update(skip_locked=True)
                )
            )
            .scalars()
            .all()
        )
        shown, rest = found[: settings.max_notifications], found[settings.max_notifications :]
        for anomaly in shown:
            title, body = describe(anomaly)
            title_cs, body_cs = describe_cs(anomaly)
            await notify(
                session,
                level="warning" if anomaly.severity == "high" else "info",
                kind=f"inventory.{anomaly.kind}",
                key=f"{anomaly.variant_code}:{anomaly.day}",
                title=title,
                title_cs=title_cs,
                body=body,
                body_cs=body_cs,
                shop_id=run.shop_id,
                data=_notice_data(anomaly, run.id),
            )
        if rest:
            await notify(
                session,
                level="info",
                kind="inventory.anomalies",
                key=f"run:{run.id}",
                title=f"{len(rest)} more inventory anomalies",
                title_cs=f"Další anomálie zásob: {cs_number(len(rest), 0)}",
                body="See the anomalies on the Inventory page.",
                body_cs="Anomálie najdete na stránce Zásoby.",
                shop_id=run.shop_id,
                data={"run_id": run.id, "anomaly_ids": [a.id for a in rest[:500]]},
            )
        if found:
            await session.execute(
                update(InventoryAnomaly)
                .where(InventoryAnomaly.id.in_([a.id for a in found]))
                .values(notified_at=text("now()"))
            )
        sent = len(shown) + (1 if rest else 0)
        await session.execute(
            text("UPDATE inventory_runs SET notifications = :n WHERE id = :id"),
            {"n": sent, "id": run.id},
        )
    return sent


def _notice_data(anomaly: InventoryAnomaly, run_id: int) -> dict[str, Any]:
    """The notification's data: the anomaly and, for a late purchase order, which and when."""
    data: dict[str, Any] = {
        "anomaly_id": anomaly.id,
        "variant_code": anomaly.variant_code,
        "day": anomaly.day.isoformat(),
        "severity": anomaly.severity,
        "score": round(anomaly.score, 2),
        "run_id": run_id,
    }
    if anomaly.kind == "late_purchase_order":
        data |= {
            "purchase_order_id": anomaly.purchase_order_id,
            "arrives_on": anomaly.arrives_on.isoformat() if anomaly.arrives_on else None,
            "bridge_quantity": anomaly.bridge_quantity,
            "units_on_order": anomaly.expected,
        }
    return data


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def short_day(day: date) -> str:
    """`20 Dec`: how a merchant says a day this month or next (not the locale's %b)."""
    return f"{day.day} {MONTHS[day.month - 1]}"


def describe(anomaly: InventoryAnomaly) -> tuple[str, str]:
    """A notification's title and body for an anomaly, in the merchant's words."""
    code, day = anomaly.variant_code, anomaly.day.isoformat()
    sales = anomaly.sales or 0.0
    if anomaly.kind == "late_purchase_order":
        return _describe_late_order(anomaly)
    if anomaly.kind.startswith("sales_"):
        word = "spike" if anomaly.kind == "sales_spike" else "drop"
        return (
            f"Sales {word}: {code} sold {sales:g} on {day}",
            f"The forecast expected {anomaly.lo or 0:.0f}–{anomaly.hi or 0:.0f} "
            f"(mean {anomaly.expected or 0:.1f}); {anomaly.severity} severity.",
        )
    unexplained = anomaly.unexplained or 0.0
    if anomaly.kind == "jump":
        return (
            f"Unexpected stock jump: {code} +{unexplained:g} on {day}",
            "Stock rose more than usual restocks; check receipts and stock counts.",
        )
    how = "without sales" if anomaly.kind == "drop_without_sales" else "beyond its sales"
    return (
        f"Stock vanished: {code} lost {-unexplained:g} units {how} on {day}",
        f"Sales that day: {sales:g}. Check for shrinkage, damage or a miscount.",
    )


def _describe_late_order(anomaly: InventoryAnomaly) -> tuple[str, str]:
    """`PO #12 for ABC-1 arrives 20 Dec, stock runs out 10 Dec: expedite it or bridge 35 units`."""
    arrives = anomaly.arrives_on or anomaly.day
    bridge = anomaly.bridge_quantity or 0.0
    units = anomaly.expected or 0.0
    empty = (arrives - anomaly.day).days
    return (
        f"PO #{anomaly.purchase_order_id} for {anomaly.variant_code} arrives "
        f"{short_day(arrives)}, stock runs out {short_day(anomaly.day)}: "
        f"expedite it or bridge {bridge:.0f} units",
        f"The shelf is projected empty for {empty} day{'' if empty == 1 else 's'} before the "
        f"order's {units:g} units "
        f"come; {bridge:.0f} units cover the forecast demand until then. "
        f"{anomaly.severity.capitalize()} severity.",
    )


def describe_cs(anomaly: InventoryAnomaly) -> tuple[str, str]:
    """`describe` in Czech: the same facts, Czech numbers and dates."""
    code, day = anomaly.variant_code, cs_day(anomaly.day)
    sales = anomaly.sales or 0.0
    severity = SEVERITY_CS.get(anomaly.severity, anomaly.severity)
    if anomaly.kind == "late_purchase_order":
        return _describe_late_order_cs(anomaly, severity)
    if anomaly.kind.startswith("sales_"):
        word = "Skok v prodejích" if anomaly.kind == "sales_spike" else "Propad prodejů"
        return (
            f"{word}: {code} – prodáno {_pieces(sales)} dne {day}",
            f"Předpověď čekala {cs_number(anomaly.lo or 0, 0)}–{cs_number(anomaly.hi or 0, 0)} "
            f"(průměr {cs_number(anomaly.expected or 0)}); závažnost {severity}.",
        )
    unexplained = anomaly.unexplained or 0.0
    if anomaly.kind == "jump":
        return (
            f"Nečekaný nárůst zásoby: {code} +{_pieces(unexplained)} dne {day}",
            "Zásoba vzrostla víc než při běžném naskladnění; zkontrolujte příjemky a inventuru.",
        )
    how = "bez prodeje" if anomaly.kind == "drop_without_sales" else "nad rámec prodejů"
    return (
        f"Zásoba zmizela: u {code} chybí {_pieces(-unexplained)} {how} dne {day}",
        f"Prodáno ten den: {_pieces(sales)}. Zkontrolujte úbytky, poškození nebo chybu při "
        "počítání.",
    )


def _pieces(quantity: float) -> str:
    """`35 ks`, `2,5 ks`: pieces as a Czech shop writes them (no plural to agree with)."""
    return f"{cs_number(quantity)}\u00a0ks"


def _describe_late_order_cs(anomaly: InventoryAnomaly, severity: str) -> tuple[str, str]:
    arrives = anomaly.arrives_on or anomaly.day
    bridge = round(anomaly.bridge_quantity or 0.0)
    units = anomaly.expected or 0.0
    empty = (arrives - anomaly.day).days
    return (
        f"Nákupní objednávka #{anomaly.purchase_order_id} pro {anomaly.variant_code} dorazí "
        f"{cs_short_day(arrives)}, zásoba dojde {cs_short_day(anomaly.day)}: urychlete ji, "
        f"nebo dokupte {_pieces(bridge)} na překlenutí",
        f"Podle výhledu bude sklad prázdný {cs_count(empty, 'den', 'dny', 'dní')}, než dorazí "
        f"{_pieces(units)} z objednávky; na předpovídanou poptávku do té doby stačí "
        f"{_pieces(bridge)}. Závažnost {severity}.",
    )


@activity.defn
async def finish_inventory_run(req: FinishRequest) -> None:
    """Store the run report (accuracy against seasonal naive, model mix, counts); a completed
    run also drops the rows of variants it no longer covers."""
    async with session_scope() as session:
        run = {"id": req.run_id}
        shop_id = (
            await session.execute(text("SELECT shop_id FROM inventory_runs WHERE id = :id"), run)
        ).scalar_one()
        accuracy = (
            await session.execute(
                text(
                    "SELECT count(*), avg(mase) FILTER (WHERE ok), avg(naive_mase) FILTER "
                    "(WHERE ok), avg((mase < naive_mase)::int) FILTER (WHERE ok) FROM (SELECT "
                    "mase, naive_mase, mase IS NOT NULL AND naive_mase IS NOT NULL AS ok "
                    "FROM inventory_variant_metrics WHERE run_id = :id) m"
                ),
                run,
            )
        ).one()
        forecast, mase, naive, beats = accuracy
        models = await _counts(session, "model", req.run_id)
        patterns = await _counts(session, "pattern", req.run_id)
        anomalies = (
            await session.execute(
                text("SELECT count(*) FROM inventory_anomalies WHERE run_id = :id"), run
            )
        ).scalar_one()
        if req.status == "completed":
            for table in ("inventory_forecasts", "inventory_variant_metrics"):
                await session.execute(
                    text(f"DELETE FROM {table} WHERE shop_id = :shop AND run_id <> :id"),
                    {"shop": shop_id, "id": req.run_id},
                )
        await session.execute(
            text(
                "UPDATE inventory_runs SET status = :status, finished_at = now(), "
                "message = coalesce(:message, message), variants_forecast = :forecast, "
                "mase = :mase, naive_mase = :naive, relative_mase = :relative, "
                "beats_naive_share = :beats, models = cast(:models AS jsonb), "
                "patterns = cast(:patterns AS jsonb), anomalies_new = :anomalies, "
                "seconds = seconds || cast(:seconds AS jsonb) WHERE id = :id"
            ),
            {
                **run,
                "status": req.status,
                "message": req.message,
                "forecast": forecast,
                "mase": mase,
                "naive": naive,
                "relative": mase / naive if mase is not None and naive else None,
                "beats": beats,
                "models": _json(models),
                "patterns": _json(patterns),
                "anomalies": anomalies,
                "seconds": _json({"forecast": round(req.forecast_seconds, 2)}),
            },
        )
        low: Sequence[Sequence[Any]] = []
        if req.status == "completed":
            low = (
                await session.execute(
                    text(
                        "SELECT variant_code, on_hand, reorder_point FROM inventory_variant_metrics "
                        "WHERE run_id = :id AND on_hand IS NOT NULL AND reorder_point IS NOT NULL "
                        "AND on_hand <= reorder_point ORDER BY variant_code LIMIT 500"
                    ),
                    run,
                )
            ).all()
    if low:
        await publish(shop_id, [("stock.low", {"run_id": req.run_id, "variants": [
            {"code": code, "on_hand": str(on_hand), "reorder_point": str(point)}
            for code, on_hand, point in low
        ]})])


async def _counts(session: Any, column: str, run_id: int) -> dict[str, int]:
    rows = await session.execute(
        text(
            f"SELECT coalesce({column}, 'none'), count(*) FROM inventory_variant_metrics "
            f"WHERE run_id = :id GROUP BY 1 ORDER BY 2 DESC"
        ),
        {"id": run_id},
    )
    return {str(k): int(v) for k, v in rows}


def _json(value: Any) -> str:
    return json.dumps(value)


ACTIVITIES = [
    plan_inventory_nightly,
    start_inventory_run,
    snapshot_stock,
    import_inventory_weather,
    forecast_inventory_chunk,
    plan_inventory_purchases,
    notify_inventory_anomalies,
    finish_inventory_run,
]


# --------------------------------------------------------------------------- in the child


def chunk_policy(run: InventoryRun) -> ChunkPolicy:
    s = run.settings
    return ChunkPolicy(
        as_of=date.fromisoformat(run.as_of),
        history_from=date.fromisoformat(run.history_from),
        horizon=run.horizon_days,
        service_level=s.service_level,
        holding_cost_rate=s.holding_cost_rate,
        order_cost=s.order_cost,
        order_window_days=s.order_window_days,
        lead_time_days=s.lead_time_days,
        lead_time_sd_days=s.lead_time_sd_days,
        anomaly_days=s.anomaly_days,
        holidays=s.holidays or None,
    )


def forecast_and_store(req: ChunkRequest, beat: Beat) -> ChunkResult:
    """Read the chunk after `req.after`, forecast it, store forecasts, metrics and anomalies."""
    run, policy = req.run, chunk_policy(req.run)
    with connect() as conn:
        beat({"phase": "reading", "after": req.after})
        rows = sql.read_chunk(
            conn,
            run.shop_id,
            req.after,
            run.chunk_variants,
            policy.history_from,
            policy.as_of,
            policy.recent_from,
            run.timezone,
            policy.lead_time_days,
            run.settings.weather_region,
            req.until,
        )
        conn.commit()  # no transaction stays open while the chunk is forecast
        if rows is None:
            return ChunkResult(0, 0, 0, 0, None)
        codes = rows.variants["variant_code"].tolist()
        beat({"phase": "forecasting", "variants": len(codes), "first": codes[0]})
        started = time.perf_counter()
        out = chunk_results(rows, policy)
        seconds = time.perf_counter() - started
        beat({"phase": "storing", "variants": len(codes), "forecast": len(out.metrics)})
        new = sql.store_chunk(
            conn, run.shop_id, run.id, codes, out.forecasts, out.metrics, out.anomalies
        )
        explain_sales_anomalies(conn, run, rows, out.anomalies)
    return ChunkResult(
        variants=len(codes),
        forecast=len(out.metrics),
        needs=int((out.metrics["need_quantity"] > 0).sum()),
        anomalies=new,
        # a chunk bounded by `until` is one of the run's known chunks: nothing follows it here
        last_code=codes[-1] if req.until is None and len(codes) == run.chunk_variants else None,
        seconds=seconds,
    )


def explain_sales_anomalies(
    conn: psycopg.Connection, run: InventoryRun, rows: sql.ChunkRows, anomalies: pd.DataFrame
) -> int:
    """Rank the causes of the chunk's sales anomalies (inventory.root_causes) and store them
    with the anomalies that have none yet."""
    sales = anomalies[anomalies["kind"].astype(str).str.startswith("sales_")]
    if sales.empty:
        return 0
    days = [date.fromisoformat(str(d)[:10]) for d in sales["day"]]
    lines = sql.anomaly_lines(
        conn,
        run.shop_id,
        sorted(set(sales["variant_code"])),
        min(days) - timedelta(days=BASELINE_DAYS),
        max(days),
        run.timezone,
    )
    sales = sales.assign(day=days)
    causes = explain_anomalies(sales, lines, opening_stocks(sales, rows.stock))
    return sql.store_anomaly_causes(
        conn, run.shop_id, sales[["variant_code", "day", "kind"]].assign(causes=causes)
    )


def plan_and_store(run: InventoryRun, beat: Beat) -> PlanResult:
    """Plan purchases for the run's needs across suppliers and store the recommendations."""
    settings = PurchaseSettings(
        as_of=date.fromisoformat(run.as_of),
        service_level=run.settings.service_level,
        order_cost=run.settings.order_cost,
        budget=run.settings.budget,
        lead_time_days=run.settings.lead_time_days,
        currency=run.currency,
    )
    with connect() as conn:
        beat({"phase": "learning delivery records"})
        sql.store_delivery_records(conn, run.shop_id, datetime.fromisoformat(run.observed_at))
        beat({"phase": "reading needs"})
        needs = sql.needs(conn, run.shop_id, run.id)
        codes = needs["variant_code"].tolist()
        offers = sql.offers(conn, run.shop_id, codes)
        receipts = sql.purchase_receipts(conn, run.shop_id, codes)
        forecasts = sql.current_forecasts(conn, run.shop_id, run.id, codes)
        conn.commit()
        beat({"phase": "planning", "variants": len(codes), "offers": len(offers)})
        started = time.perf_counter()
        plan = recommend(needs, offers, forecasts, settings, receipts)
        seconds = time.perf_counter() - started
        beat({"phase": "storing", "recommendations": len(plan.rows)})
        sql.store_recommendations(conn, run.shop_id, run.id, plan.rows)
        cost = float(plan.plan.get("expected_cost", 0.0))
        sql.update_run(
            conn,
            run.id,
            {
                "recommendations": len(plan.rows),
                "recommended_cost": round(cost, 2),
                "plan": {**plan.plan, "seconds": round(seconds, 2)},
            },
        )
    return PlanResult(len(plan.rows), cost, plan.plan.get("message"))
