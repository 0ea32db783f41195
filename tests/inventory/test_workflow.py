"""InventoryWorkflow on the real Temporal dev server over a simulated shop in PostgreSQL."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Any

import psycopg
import pytest
from temporalio.client import (
    Client,
    ScheduleActionStartWorkflow,
    WorkflowFailureError,
    WorkflowHandle,
)

from db.app_settings import set_setting
from db.engine import session_scope
from infra.temporal_client import connect, ensure_schedule
from tests.inventory.conftest import CHUNK, SeededShop, new_shop, record_history, rows
from tests.inventory.seed import CHEAP, FAST
from workflows.inventory import (
    NIGHTLY_SCHEDULE_ID,
    InventoryNightlyWorkflow,
    InventoryRequest,
    InventoryResult,
    InventoryWorkflow,
    NightlyRequest,
    workflow_id,
)
from workflows.queues import Queue
from workflows.schedules import APP_SCHEDULES

HORIZON = 28


@pytest.fixture(scope="module", autouse=True)
async def small_chunks() -> None:
    async with session_scope() as session:
        await set_setting(session, "analytics.inventory.chunk_variants", CHUNK)


async def _run(client: Client, shop_id: int) -> tuple[WorkflowHandle[Any, InventoryResult], InventoryResult]:
    handle = await client.start_workflow(
        InventoryWorkflow.run,
        InventoryRequest(shop_id, "manual"),
        id=workflow_id(shop_id),
        task_queue=Queue.ANALYTICS.value,
    )
    return handle, await handle.result()


def _notifications(pg: psycopg.Connection, shop_id: int) -> list[tuple[Any, ...]]:
    return rows(
        pg,
        "SELECT kind, level, title, data FROM notifications WHERE shop_id = %s ORDER BY id",
        shop_id,
    )


async def test_run_stores_plan_accuracy_and_anomalies_once(
    worker: object, pg: psycopg.Connection, seeded_shop: SeededShop
) -> None:
    shop, sim = seeded_shop.shop_id, seeded_shop.sim
    client = await connect()
    handle, result = await _run(client, shop)
    await record_history(handle, "inventory")
    await record_history(handle, "inventory_parallel_chunks")  # 60 variants: a known chunk

    assert result.status == "completed", result.message
    progress = await handle.query(InventoryWorkflow.progress)
    assert progress.phase == "done"
    assert progress.variants_done == progress.variants_total == len(sim.codes)
    assert result.forecast == len(sim.codes)

    # today's stock closed yesterday: a row for every variant whose stock changed that day
    changed = int((sim.stock[-1] != sim.stock[-2]).sum())
    [(stock_rows, as_of)] = rows(
        pg, "SELECT stock_rows, as_of FROM inventory_runs WHERE id = %s", result.run_id
    )
    assert as_of == sim.as_of and stock_rows == changed
    assert rows(
        pg, "SELECT count(*) FROM stock_history WHERE shop_id = %s AND day = %s", shop, as_of
    ) == [(changed,)]

    # forecasts: every variant, the 28 days after as_of, 80 % intervals around the mean
    forecasts = rows(
        pg,
        "SELECT count(*), count(DISTINCT variant_code), min(day), max(day), "
        "bool_and(lo <= mean AND mean <= hi AND lo >= 0) FROM inventory_forecasts "
        "WHERE shop_id = %s",
        shop,
    )
    assert forecasts == [
        (
            len(sim.codes) * HORIZON,
            len(sim.codes),
            as_of + timedelta(1),
            as_of + timedelta(HORIZON),
            True,
        )
    ]

    # accuracy: MASE per variant against seasonal naive; overall the models beat it
    [(forecast, mase, naive, relative, beats, models)] = rows(
        pg,
        "SELECT variants_forecast, mase, naive_mase, relative_mase, beats_naive_share, models "
        "FROM inventory_runs WHERE id = %s",
        result.run_id,
    )
    assert forecast == len(sim.codes) and relative == pytest.approx(mase / naive)
    assert relative < 1.0 and beats > 0.5
    assert sum(models.values()) == len(sim.codes) and len(models) >= 3
    scored = rows(
        pg,
        "SELECT count(*) FROM inventory_variant_metrics WHERE shop_id = %s AND mase > 0 "
        "AND naive_mase > 0 AND reorder_point >= safety_stock",
        shop,
    )
    assert scored[0][0] >= len(sim.codes) - 5

    # recommendations: what, how much, from whom, by when, at what cost
    lines = rows(
        pg,
        "SELECT r.variant_code, s.name, r.quantity, r.packs, r.unit_price, r.purchase_cost, "
        "r.order_cost, r.expected_cost, r.order_by, r.note, o.moq, o.pack_size "
        "FROM inventory_recommendations r LEFT JOIN suppliers s ON s.id = r.supplier_id "
        "LEFT JOIN supplier_offers o ON o.supplier_id = r.supplier_id "
        "AND o.variant_code = r.variant_code WHERE r.shop_id = %s ORDER BY r.id",
        shop,
    )
    assert len(lines) >= 10 and result.recommendations == len(lines)
    window = as_of + timedelta(14)
    for (
        code,
        supplier,
        qty,
        packs,
        price,
        purchase,
        order_cost,
        expected,
        due,
        note,
        moq,
        pack,
    ) in lines:
        assert qty > 0 and as_of < due <= window
        j = int(code.split("-")[1])
        if j % 10 == 9:
            assert supplier is None and "no supplier offers" in note
            continue
        assert supplier in (FAST["name"], CHEAP["name"])
        assert j % 10 != 8 or supplier == FAST["name"]  # its only offer
        assert float(purchase) == pytest.approx(float(qty * price), abs=0.01)
        assert float(expected) == pytest.approx(float(purchase + order_cost), abs=0.02)
        assert pack is None or (qty % pack == 0 and packs == qty / pack)
        assert moq is None or qty >= moq
    [(plan, cost)] = rows(
        pg, "SELECT plan, recommended_cost FROM inventory_runs WHERE id = %s", result.run_id
    )
    assert float(cost) == pytest.approx(sum(float(line[7]) for line in lines), abs=0.1)
    assert plan["purchase_cost"] + plan["fixed_cost"] == pytest.approx(
        sum(float(line[7]) for line in lines if line[1] is not None), abs=0.1
    )
    # the slow supplier's lines are dated by its own (longer) lead time: never later
    by_variant: dict[str, dict[str, date]] = {}
    for line in lines:
        by_variant.setdefault(line[0], {})[line[1]] = line[8]
    for dates in by_variant.values():
        if len(dates) == 2:
            assert dates[CHEAP["name"]] <= dates[FAST["name"]]

    # anomalies: the planted ones, each notified once
    found = {
        (code, kind): (severity, day)
        for code, kind, severity, day in rows(
            pg,
            "SELECT variant_code, kind, severity, day FROM inventory_anomalies WHERE shop_id = %s",
            shop,
        )
    }
    assert found[(seeded_shop.lost, "drop_without_sales")] == ("high", as_of - timedelta(2))
    assert found[(seeded_shop.spiked, "sales_spike")] == ("high", as_of - timedelta(1))
    notes = _notifications(pg, shop)
    kinds = {(n[0], n[3]["variant_code"]) for n in notes if "variant_code" in n[3]}
    assert ("inventory.drop_without_sales", seeded_shop.lost) in kinds
    assert ("inventory.sales_spike", seeded_shop.spiked) in kinds
    assert all(n[1] == "warning" for n in notes if n[3].get("severity") == "high")
    assert result.notifications == len(notes) > 0

    # a second run the same night finds the same anomalies and raises nothing again
    handle, again = await _run(client, shop)
    assert again.status == "completed" and again.notifications == 0
    assert _notifications(pg, shop) == notes
    assert rows(pg, "SELECT stock_rows FROM inventory_runs WHERE id = %s", again.run_id) == [(0,)]
    assert rows(
        pg, "SELECT count(DISTINCT run_id) FROM inventory_forecasts WHERE shop_id = %s", shop
    ) == [(1,)]
    assert rows(pg, "SELECT status FROM inventory_runs WHERE id = %s", result.run_id) == [
        ("completed",)
    ]


async def test_nightly_run_fans_out_once_per_shop(worker: object, pg: psycopg.Connection) -> None:
    client = await connect()
    empty = new_shop(pg, "Inventory empty shop")
    busy = new_shop(pg, "Inventory busy shop")
    blocker = await client.start_workflow(
        InventoryWorkflow.run,
        InventoryRequest(busy, "manual"),
        id=workflow_id(busy),
        task_queue=f"nobody-{secrets.token_hex(3)}",
    )
    try:
        handle = await client.start_workflow(
            InventoryNightlyWorkflow.run,
            NightlyRequest(shop_ids=[empty, busy], parallel=2),
            id=f"analytics:inventory:nightly:test:{secrets.token_hex(3)}",
            task_queue=Queue.ANALYTICS.value,
        )
        outcomes = await handle.result()
        await record_history(handle, "inventory_nightly")
    finally:
        await blocker.terminate("test over")
    assert {o.shop_id: o.status for o in outcomes} == {empty: "completed", busy: "already_running"}
    [(status, variants, forecast)] = rows(
        pg,
        "SELECT status, variants_total, variants_forecast FROM inventory_runs WHERE shop_id = %s",
        empty,
    )
    assert (status, variants, forecast) == ("completed", 0, 0)


async def test_a_bad_setting_fails_the_run_saying_which(
    worker: object, pg: psycopg.Connection
) -> None:
    shop = new_shop(pg, "Inventory misconfigured shop")
    # a value stored before the settings API refused it (set_setting validates the choices now)
    pg.execute(
        "INSERT INTO app_settings (key, shop_id, value) VALUES (%s, %s, %s)",
        ("analytics.inventory.notify_severity", shop, '"urgent"'),
    )
    pg.commit()
    client = await connect()
    handle = await client.start_workflow(
        InventoryWorkflow.run,
        InventoryRequest(shop, "manual"),
        id=workflow_id(shop),
        task_queue=Queue.ANALYTICS.value,
    )
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    causes = []
    cause: BaseException | None = failure.value
    while cause is not None:
        causes.append(str(cause))
        cause = cause.__cause__
    assert any("notify_severity must be one of low, medium, high" in c for c in causes), causes


async def test_the_nightly_schedule_is_declared(temporal_env: object) -> None:
    client = await connect()
    decl = next(d for d in APP_SCHEDULES if d.id == NIGHTLY_SCHEDULE_ID)
    await ensure_schedule(client, decl)
    described = await client.get_schedule_handle(NIGHTLY_SCHEDULE_ID).describe()
    action = described.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert action.workflow == "InventoryNightlyWorkflow"
    assert action.task_queue == Queue.ANALYTICS.value
    assert described.schedule.spec.time_zone_name == "Europe/Prague"
    assert decl.overlap == "SKIP"
