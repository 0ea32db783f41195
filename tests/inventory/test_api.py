"""The inventory API over planned shops: recommendation pages and CSV, a variant's forecast with
its history, anomalies, accuracy, the run's state, running now, and scoping to the caller's shops."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import date, timedelta
from typing import Literal, TypedDict

import httpx
import psycopg
import pytest

from db import tagged_cache
from db.tagged_cache import invalidate, shop_tag
from infra.temporal_client import connect
from tests.inventory.conftest import SeededShop, plan_now, rows, seed
from tests.support import CacheClock, MakeUser, assert_problem, login
from workflows.inventory import workflow_id


class Planned(TypedDict):
    shop: SeededShop
    other: SeededShop
    run: int  # inventory run ids
    other_run: int


@pytest.fixture(scope="module")
async def planned(pg: psycopg.Connection) -> Planned:
    """Two planned shops: one the tests' users see, and one nobody of them owns."""
    shop = seed(pg, "API inventory shop", variants=30, random_seed=5)
    other = seed(pg, "Other inventory shop", variants=10, random_seed=6)
    return {
        "shop": shop,
        "other": other,
        "run": await plan_now(shop.shop_id),
        "other_run": await plan_now(other.shop_id),
    }


@pytest.fixture
async def client(api: httpx.AsyncClient, make_user: MakeUser, planned: Planned) -> httpx.AsyncClient:
    user, password = make_user(shops={planned["shop"].shop_id: "viewer"})
    await login(api, user.email, password)
    return api


def _base(planned: Planned, which: Literal["shop", "other"] = "shop") -> str:
    shop = planned[which]
    return f"/api/shops/{shop.shop_id}/inventory"


async def test_recommendations_page_by_keyset_and_export_the_same_rows(
    client: httpx.AsyncClient, planned: Planned, pg: psycopg.Connection
) -> None:
    url = f"{_base(planned)}/recommendations"
    items, cursor = [], None
    while True:
        page = (
            await client.get(url, params={"limit": 7, **({"cursor": cursor} if cursor else {})})
        ).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    stored = rows(
        pg,
        "SELECT count(*) FROM inventory_recommendations WHERE shop_id = %s",
        planned["shop"].shop_id,
    )[0][0]
    assert len(items) == stored > 7  # several pages, every row once
    assert [i["id"] for i in items] == sorted(i["id"] for i in items)
    dates = [i["order_by"] for i in items]
    assert dates == sorted(dates)
    first = items[0]
    assert {"variant_code", "supplier_name", "quantity", "order_by", "expected_cost"} <= set(first)
    assert isinstance(first["expected_cost"], str)  # money is a decimal string

    response = await client.get(f"{url}.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert [
        (r["variant_code"], r["supplier_name"], r["quantity"], r["expected_cost"]) for r in table
    ] == [
        (i["variant_code"], i["supplier_name"] or "", i["quantity"], i["expected_cost"] or "")
        for i in items
    ]
    supplier = next(i["supplier_id"] for i in items if i["supplier_id"] is not None)
    only = (await client.get(url, params={"supplier_id": supplier, "limit": 500})).json()["items"]
    assert only and all(i["supplier_id"] == supplier for i in only)


async def test_a_variant_forecast_comes_with_its_sales_history(
    client: httpx.AsyncClient, planned: Planned
) -> None:
    shop: SeededShop = planned["shop"]
    sim = shop.sim
    body = (await client.get(f"{_base(planned)}/variants/{shop.spiked}/forecast")).json()
    as_of = date.fromisoformat(body["as_of"])
    assert as_of == sim.as_of
    days = [date.fromisoformat(p["day"]) for p in body["forecast"]]
    assert days == [as_of + timedelta(d) for d in range(1, 29)]
    assert all(0 <= p["lo"] <= p["mean"] <= p["hi"] for p in body["forecast"])
    history = body["history"]
    assert len(history) == 90 and history[-1]["day"] == as_of.isoformat()
    j = sim.codes.index(shop.spiked)
    assert [h["sales"] for h in history] == list(sim.sales[-90:, j])  # the spike among them
    censored = sim.censored()[-90:, j]
    assert [h["censored"] for h in history[:-1]] == list(censored[:-1])
    assert body["metrics"]["model"] and body["metrics"]["mase"] is not None

    lossy = sim.codes[int(sim.censored()[-90:].sum(axis=0).argmax())]
    marked = (await client.get(f"{_base(planned)}/variants/{lossy}/forecast")).json()["history"]
    assert any(h["censored"] for h in marked)
    assert_problem(await client.get(f"{_base(planned)}/variants/NOPE/forecast"), 404)


async def test_anomalies_list_the_planted_ones_and_filter(
    client: httpx.AsyncClient, planned: Planned
) -> None:
    shop: SeededShop = planned["shop"]
    found = (await client.get(f"{_base(planned)}/anomalies")).json()["items"]
    kinds = {(a["variant_code"], a["kind"]) for a in found}
    assert (shop.lost, "drop_without_sales") in kinds and (shop.spiked, "sales_spike") in kinds
    assert [a["id"] for a in found] == sorted((a["id"] for a in found), reverse=True)
    high = (await client.get(f"{_base(planned)}/anomalies", params={"severity": "high"})).json()
    assert high["items"] and all(a["severity"] == "high" for a in high["items"])
    assert all(a["notified_at"] for a in high["items"])  # notified once, when found
    body = assert_problem(
        await client.get(f"{_base(planned)}/anomalies", params={"severity": "urgent"}), 422
    )
    assert "severity must be one of" in str(body["detail"])


async def test_accuracy_per_variant_and_overall_against_seasonal_naive(
    client: httpx.AsyncClient, planned: Planned, pg: psycopg.Connection
) -> None:
    url = f"{_base(planned)}/accuracy"
    codes, cursor, overall = [], None, None
    while True:
        page = (
            await client.get(url, params={"limit": 8, **({"cursor": cursor} if cursor else {})})
        ).json()
        codes += [i["variant_code"] for i in page["items"]]
        overall = page["overall"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert codes == sorted(planned["shop"].sim.codes)
    [(mase, naive, relative)] = rows(
        pg,
        "SELECT mase, naive_mase, relative_mase FROM inventory_runs WHERE id = %s",
        planned["run"],
    )
    assert overall is not None and overall["run_id"] == planned["run"]
    assert overall["relative_mase"] == pytest.approx(relative) == pytest.approx(mase / naive)
    assert overall["variants"] == len(codes)


async def test_the_run_state_and_track_record(client: httpx.AsyncClient, planned: Planned) -> None:
    state = (await client.get(f"{_base(planned)}/run")).json()
    assert state["workflow_id"] == workflow_id(planned["shop"].shop_id)
    assert state["run"]["id"] == planned["run"] and state["run"]["status"] == "completed"
    assert state["run"]["recommendations"] > 0 and state["progress"] is None
    assert state["running"] is False
    runs = (await client.get(f"{_base(planned)}/runs")).json()
    assert [r["id"] for r in runs["items"]] == [planned["run"]]


async def test_another_shops_inventory_is_not_found(client: httpx.AsyncClient, planned: Planned) -> None:
    other = _base(planned, "other")
    for path in (
        "recommendations",
        "recommendations.csv",
        f"variants/{planned['other'].sim.codes[0]}/forecast",
        "anomalies",
        "accuracy",
        "runs",
        "run",
    ):
        assert_problem(await client.get(f"{other}/{path}"), 404)
    assert_problem(await client.post(f"{other}/run"), 404)
    assert_problem(await client.get("/api/shops/999999/inventory/recommendations"), 404)


async def test_running_now_needs_a_manager_and_never_runs_a_shop_twice(
    temporal_env: object, api: httpx.AsyncClient, make_user: MakeUser, planned: Planned,
    cache_clock: CacheClock,
) -> None:
    shop = planned["other"].shop_id
    viewer, password = make_user(shops={shop: "viewer"})
    await login(api, viewer.email, password)
    assert_problem(await api.post(f"/api/shops/{shop}/inventory/run"), 403)
    manager, password = make_user(shops={shop: "manager"})
    await login(api, manager.email, password)
    # Temporal's answer is shared for a second (the cache's clock stands still here) ...
    assert (await api.get(f"/api/shops/{shop}/inventory/run")).json()["running"] is False
    first = await api.post(f"/api/shops/{shop}/inventory/run")
    second = await api.post(f"/api/shops/{shop}/inventory/run")
    try:
        assert first.status_code == second.status_code == 202
        assert first.json()["started"] is True and second.json()["started"] is False
        assert first.json()["run_id"] == second.json()["run_id"]
        # no worker picks it up, so there is no run row yet: Temporal says it is running
        # (... and starting a run moved it: the poll after the start asks Temporal again)
        state = (await api.get(f"/api/shops/{shop}/inventory/run")).json()
        assert state["running"] is True and state["run"]["status"] == "completed"
    finally:  # no worker runs in this test; leave nothing for the next one's worker
        client = await connect()
        await client.get_workflow_handle(workflow_id(shop)).terminate("test over")


async def test_pollers_share_one_temporal_answer_per_second(
    temporal_env: object, api: httpx.AsyncClient, make_user: MakeUser, planned: Planned,
    cache_clock: CacheClock,
) -> None:
    """Fifty polls within the second ask Temporal once (kind `progress`); past its TTL the next
    poll answers at once with the previous state and asks Temporal in the background."""
    from tests.search.test_cache import stats

    shop = planned["other"].shop_id
    viewer, password = make_user(shops={shop: "viewer"})
    await login(api, viewer.email, password)
    await invalidate(shop_tag(shop, "inventory-run"))  # as a start would: the next poll asks
    before = await stats("progress")
    answers = [(await api.get(f"/api/shops/{shop}/inventory/run")).json() for _ in range(50)]
    assert all(a == answers[0] for a in answers)
    after = await stats("progress")
    assert (after["miss"] - before["miss"], after["hit"] - before["hit"]) == (1, 49)
    cache_clock.now += 2
    assert (await api.get(f"/api/shops/{shop}/inventory/run")).json() == answers[0]
    assert (await stats("progress"))["stale"] == after["stale"] + 1
    await asyncio.gather(*list(tagged_cache._REFRESHES))
    await api.get(f"/api/shops/{shop}/inventory/run")
    assert (await stats("progress"))["hit"] == after["hit"] + 1
