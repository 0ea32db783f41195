"""CustomerAnalyticsWorkflow on the real Temporal dev server over orders in PostgreSQL."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import psycopg
import pytest
from temporalio.client import Client, ScheduleActionStartWorkflow, WorkflowHandle

from activities.customers.analytics import rfm_summary
from db.app_settings import definition, set_setting
from db.engine import session_scope
from infra.temporal_client import connect, ensure_schedule
from tests.customers.conftest import new_shop, record_history
from tests.customers.seed import copy_orders, simulated_orders
from tests.support import TEST_NOW
from workflows.customers import (
    NIGHTLY_SCHEDULE_ID,
    CustomerAnalyticsNightlyWorkflow,
    CustomerAnalyticsRequest,
    CustomerAnalyticsResult,
    CustomerAnalyticsWorkflow,
    NightlyRequest,
    workflow_id,
)
from workflows.queues import Queue
from workflows.schedules import APP_SCHEDULES

CHUNK = 400  # small chunks, so both keysets (GUIDs, e-mails) span several activities


@pytest.fixture(scope="module", autouse=True)
async def small_chunks() -> AsyncIterator[None]:
    key = "analytics.customers.chunk_customers"
    async with session_scope() as session:
        await set_setting(session, key, CHUNK)
    yield
    async with session_scope() as session:
        await set_setting(session, key, definition(key).default)


async def _run(
    client: Client, shop_id: int, trigger: str = "manual"
) -> tuple[WorkflowHandle[Any, CustomerAnalyticsResult], CustomerAnalyticsResult]:
    handle = await client.start_workflow(
        CustomerAnalyticsWorkflow.run,
        CustomerAnalyticsRequest(shop_id, trigger, as_of=TEST_NOW.isoformat()),
        id=workflow_id(shop_id),
        task_queue=Queue.ANALYTICS.value,
    )
    return handle, await handle.result()


def _rows(pg: psycopg.Connection, query: str, *params: object) -> list[tuple[Any, ...]]:
    rows = pg.execute(query, params).fetchall()
    pg.commit()
    return rows


async def test_run_stores_every_customer_and_a_report_that_beats_the_baseline(
    worker: object, pg: psycopg.Connection, simulated_shop: tuple[int, pd.DataFrame]
) -> None:
    shop_id, orders = simulated_shop
    client = await connect()
    handle, result = await _run(client, shop_id)
    await record_history(handle, "customer_analytics")

    assert result.status == "completed", result.message
    progress = await handle.query(CustomerAnalyticsWorkflow.progress)
    assert progress.phase == "done"
    # every customer key with an order, refund-only one included, was streamed
    assert (
        progress.customers_processed
        == progress.customers_total
        == orders["customer_key"].nunique() + 1
    )

    [(status, model, mae, baseline, beats, auc, holdout, params, end, customers, rules)] = _rows(
        pg,
        "SELECT status, chosen_model, holdout_mae, baseline_mae, beats_baseline, auc_p_alive, "
        "holdout, params, observation_end, customers, item_rules FROM customer_model_reports "
        "WHERE id = %s",
        result.report_id,
    )
    assert status == "completed" and model == result.chosen_model
    assert beats is True and mae < baseline  # the stored report records the baseline test
    assert 0.5 < auc <= 1.0
    assert {r["model"] for r in holdout["reports"]} == {"BG/NBD", "MBG/NBD", "Pareto/NBD"}
    assert set(params) >= {"model", "spend"} and set(params["spend"]) == {"p", "q", "v"}

    # The streamed, SQL-aggregated path gives exactly the pure module's summary of raw orders.
    local = orders.assign(
        when=orders["created_at"].dt.tz_convert(ZoneInfo("Europe/Prague")).dt.tz_localize(None)
    )
    local_end = pd.Timestamp(end).tz_convert("Europe/Prague").tz_localize(None)
    expected = rfm_summary(local, "customer_key", "when", "total", local_end, "W")
    stored = pd.DataFrame(
        _rows(
            pg,
            "SELECT customer_key, frequency, recency, t, total_value, p_alive, churn_risk, "
            "clv_12m, clv_at_risk, expected_purchases_90d, segment FROM customer_metrics "
            "WHERE shop_id = %s",
            shop_id,
        ),
        columns=[
            "key",
            "frequency",
            "recency",
            "T",
            "total",
            "p_alive",
            "churn",
            "clv",
            "at_risk",
            "exp90",
            "segment",
        ],
    ).set_index("key")
    assert customers == len(stored) == len(expected)  # the refund-only customer is not there
    assert "refund-only@example.cz" not in stored.index
    # guest checkouts of registered customers were merged into them, messy guest e-mails into
    # one guest each (`customer_key` is the person), so the keys are exactly the people
    assert set(stored.index) == set(expected.index)
    [(stored_orders, merged)] = _rows(
        pg,
        "SELECT sum(orders), count(*) FILTER (WHERE customer_guid IS NOT NULL AND email IS NOT "
        "NULL) FROM customer_metrics WHERE shop_id = %s",
        shop_id,
    )
    assert stored_orders == (orders["total"] >= 0).sum()  # each purchase counted exactly once
    assert merged > 100
    joined = expected.join(stored, rsuffix="_db")
    for column in ("frequency", "recency", "T"):
        np.testing.assert_array_equal(joined[column], joined[f"{column}_db"])
    np.testing.assert_allclose(joined["total_value"], joined["total"].astype(float), atol=0.01)

    once = stored[stored["frequency"] == 0]
    assert len(once) > 100 and once["p_alive"].notna().all()  # one-time buyers are scored
    assert stored["p_alive"].between(0, 1).all() and stored["churn"].between(0, 1).all()
    assert (stored["at_risk"].astype(float) >= 0).all() and (stored["exp90"] >= 0).all()
    assert stored["segment"].nunique() >= 5

    assert rules > 0
    pairs = _rows(
        pg,
        "SELECT suggestion_code, lift FROM customer_item_rules WHERE shop_id = %s "
        "AND item_code = 'P000' ORDER BY rank LIMIT 1",
        shop_id,
    )
    assert pairs[0][0] == "P001" and pairs[0][1] > 1.5  # the planted pair is found
    assert _rows(
        pg, "SELECT count(*) FROM customer_run_summaries WHERE report_id = %s", result.report_id
    ) == [(0,)]


async def test_a_three_customer_shop_is_a_stored_state_not_a_failure(
    worker: object, pg: psycopg.Connection
) -> None:
    shop_id = new_shop(pg, "Tiny shop")
    pg.execute(
        "INSERT INTO orders (shop_id, code, created_at, email, customer_guid, total_with_vat) VALUES "
        "(%(s)s, 'T1', %(now)s - interval '300 days', 'a@example.cz', NULL, 100), "
        "(%(s)s, 'T2', %(now)s - interval '100 days', 'a@example.cz', NULL, 0), "
        "(%(s)s, 'T3', %(now)s - interval '50 days', NULL, gen_random_uuid(), 250), "
        "(%(s)s, 'T4', %(now)s - interval '40 days', 'c@example.cz', NULL, 80), "
        "(%(s)s, 'T5', %(now)s - interval '20 days', 'c@example.cz', NULL, -80)",
        {"s": shop_id, "now": TEST_NOW},
    )
    pg.commit()
    client = await connect()
    handle, result = await _run(client, shop_id)
    await record_history(handle, "customer_analytics_not_enough_data")

    assert result.status == "not_enough_data"
    assert "needs at least 30 customers" in (result.message or "")
    [(status, message, customers)] = _rows(
        pg,
        "SELECT status, message, customers FROM customer_model_reports WHERE id = %s",
        result.report_id,
    )
    assert status == "not_enough_data" and "found 1 customers" in message and customers == 3
    metrics = _rows(
        pg,
        "SELECT customer_key, frequency, total_value, p_alive, clv_12m, segment "
        "FROM customer_metrics WHERE shop_id = %s ORDER BY customer_key",
        shop_id,
    )
    assert len(metrics) == 3
    by_key = {row[0]: row for row in metrics}
    assert by_key["a@example.cz"][1] == 1.0 and float(by_key["a@example.cz"][2]) == 100.0
    assert float(by_key["c@example.cz"][2]) == 0.0  # fully refunded: a visit worth nothing
    assert all(row[3] is None and row[4] is None and row[5] for row in metrics)


async def test_nightly_run_fans_out_once_per_shop(worker: object, pg: psycopg.Connection) -> None:
    client = await connect()
    empty = new_shop(pg, "Empty shop")
    busy = new_shop(pg, "Busy shop")
    small = new_shop(pg, "Small shop")
    copy_orders(pg, small, simulated_orders(small, 40, seed=5, start="2025-01-01"), items=False)
    # a run of `busy` that no worker picks up holds its workflow id
    blocker = await client.start_workflow(
        CustomerAnalyticsWorkflow.run,
        CustomerAnalyticsRequest(busy, "manual"),
        id=workflow_id(busy),
        task_queue=f"nobody-{secrets.token_hex(3)}",
    )
    try:
        handle = await client.start_workflow(
            CustomerAnalyticsNightlyWorkflow.run,
            NightlyRequest(shop_ids=[empty, busy, small], parallel=2),
            id=f"analytics:customers:nightly:test:{secrets.token_hex(3)}",
            task_queue=Queue.ANALYTICS.value,
        )
        outcomes = await handle.result()
        await record_history(handle, "customer_analytics_nightly")
    finally:
        await blocker.terminate("test over")
    statuses = {o.shop_id: o.status for o in outcomes}
    assert len(outcomes) == 3
    assert statuses[empty] == "not_enough_data" and statuses[busy] == "already_running"
    assert statuses[small] in ("completed", "not_enough_data")


async def test_the_nightly_schedule_is_declared(temporal_env: object) -> None:
    client = await connect()
    decl = next(d for d in APP_SCHEDULES if d.id == NIGHTLY_SCHEDULE_ID)
    await ensure_schedule(client, decl)
    described = await client.get_schedule_handle(NIGHTLY_SCHEDULE_ID).describe()
    action = described.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert action.workflow == "CustomerAnalyticsNightlyWorkflow"
    assert action.task_queue == Queue.ANALYTICS.value
    assert described.schedule.spec.time_zone_name == "Europe/Prague"
