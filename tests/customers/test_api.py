"""The customers API over analysed shops: segments, at-risk pages and CSV, detail with
recommendations, the track record, running now, and scoping to the caller's shops."""

from __future__ import annotations

import csv
import io

import httpx
import psycopg
import pytest

from tests.customers.conftest import analyse_now, history_start, new_shop
from tests.customers.seed import copy_orders, simulated_orders
from tests.support import MakeUser, assert_problem, login


@pytest.fixture(scope="module")
async def analysed(pg: psycopg.Connection) -> dict[str, int]:
    """Two analysed shops: a simulated one and a second one nobody of the tests' users owns."""
    shop = new_shop(pg, "API shop")
    copy_orders(pg, shop, simulated_orders(shop, 600, seed=17, start=history_start()))
    other = new_shop(pg, "Other shop")
    copy_orders(pg, other, simulated_orders(other, 300, seed=18, start=history_start()))
    return {
        "shop": shop,
        "other": other,
        "report": await analyse_now(shop),
        "other_report": await analyse_now(other),
    }


@pytest.fixture
async def client(api: httpx.AsyncClient, make_user: MakeUser, analysed: dict[str, int]) -> httpx.AsyncClient:
    user, password = make_user(shops={analysed["shop"]: "viewer"})
    await login(api, user.email, password)
    return api


def _count(pg: psycopg.Connection, query: str, *params: object) -> int:
    row = pg.execute(query, params).fetchone()
    pg.commit()
    assert row is not None
    return int(row[0])


async def test_segments_add_up_to_every_customer(client: httpx.AsyncClient, analysed: dict[str, int], pg: psycopg.Connection) -> None:
    body = (await client.get(f"/api/shops/{analysed['shop']}/customers/segments")).json()
    stored = _count(
        pg, "SELECT count(*) FROM customer_metrics WHERE shop_id = %s", analysed["shop"]
    )
    assert len(body["items"]) == 11 and body["customers"] == stored > 0
    assert sum(i["customers"] for i in body["items"]) == stored
    assert all(i["clv_at_risk"] is not None for i in body["items"])


async def test_at_risk_pages_by_keyset_and_exports_the_same_rows(
    client: httpx.AsyncClient, analysed: dict[str, int]
) -> None:
    url = f"/api/shops/{analysed['shop']}/customers/at-risk"
    keys, values, cursor = [], [], None
    while True:
        page = (
            await client.get(
                url,
                params={
                    "limit": 37,
                    "min_churn_risk": 0.3,
                    **({"cursor": cursor} if cursor else {}),
                },
            )
        ).json()
        keys += [c["customer_key"] for c in page["items"]]
        values += [float(c["clv_at_risk"]) for c in page["items"]]
        assert all(c["churn_risk"] >= 0.3 for c in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(keys) == len(set(keys)) > 37  # several pages, no row twice
    assert values == sorted(values, reverse=True)

    response = await client.get(f"{url}.csv", params={"min_churn_risk": 0.3})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["customer_key"] for r in rows] == keys

    segment = (await client.get(url, params={"segment": "lost", "min_churn_risk": 0})).json()
    assert {c["segment"] for c in segment["items"]} <= {"lost"}
    assert_problem(await client.get(url, params={"segment": "vip"}), 422)
    assert_problem(await client.get(f"{url}.csv", params={"segment": "vip"}), 422)
    assert_problem(await client.get(url, params={"cursor": "not-a-cursor"}), 400)


async def test_customer_detail_recommends_only_what_they_have_not_bought(
    client: httpx.AsyncClient, analysed: dict[str, int], pg: psycopg.Connection
) -> None:
    shop = analysed["shop"]
    [(key,)] = pg.execute(
        "SELECT customer_key FROM customer_metrics WHERE shop_id = %s AND customer_guid IS NOT NULL "
        "ORDER BY frequency DESC, customer_key LIMIT 1",
        (shop,),
    ).fetchall()
    bought = {
        r[0]
        for r in pg.execute(
            "SELECT DISTINCT i.code FROM orders o JOIN order_items i ON i.shop_id = o.shop_id "
            "AND i.order_code = o.code AND i.created_at = o.created_at "
            "WHERE o.shop_id = %s AND o.customer_guid = %s::uuid",
            (shop, key),
        ).fetchall()
    }
    pg.commit()
    body = (await client.get(f"/api/shops/{shop}/customers/{key}")).json()
    assert body["customer_key"] == key and 0 <= body["p_alive"] <= 1
    assert body["expected_purchases_90d"] >= 0 and float(body["clv_12m"]) >= 0
    assert body["recommendations"], "a frequent buyer of a shop with planted pairs gets picks"
    assert not {r["code"] for r in body["recommendations"]} & bought
    assert all(set(r["because"]) <= bought for r in body["recommendations"])

    guest = pg.execute(
        "SELECT customer_key FROM customer_metrics WHERE shop_id = %s AND email IS NOT NULL LIMIT 1",
        (shop,),
    ).fetchone()
    pg.commit()
    assert guest is not None
    assert (await client.get(f"/api/shops/{shop}/customers/{guest[0]}")).status_code == 200


async def test_another_shops_customers_are_not_found(
    client: httpx.AsyncClient, analysed: dict[str, int], pg: psycopg.Connection
) -> None:
    other = analysed["other"]
    [(key,)] = pg.execute(
        "SELECT customer_key FROM customer_metrics WHERE shop_id = %s LIMIT 1", (other,)
    ).fetchall()
    pg.commit()
    for path in (
        f"customers/{key}",
        "customers/segments",
        "customers/at-risk",
        "customers/at-risk.csv",
        "customers/reports",
        "customers/analysis",
    ):
        assert_problem(await client.get(f"/api/shops/{other}/{path}"), 404)
    # the other shop's customer key under the caller's own shop is no customer either
    assert_problem(await client.get(f"/api/shops/{analysed['shop']}/customers/{key}"), 404)
    assert_problem(await client.post(f"/api/shops/{other}/customers/analysis"), 404)


async def test_the_track_record_lists_reports_with_the_baseline(
    client: httpx.AsyncClient, analysed: dict[str, int]
) -> None:
    body = (await client.get(f"/api/shops/{analysed['shop']}/customers/reports")).json()
    report = next(r for r in body["items"] if r["id"] == analysed["report"])
    assert report["status"] == "completed" and report["chosen_model"]
    assert report["baseline_mae"] > 0 and report["beats_baseline"] == (
        report["holdout_mae"] < report["baseline_mae"]
    )
    assert len(report["models"]) == 3 and report["by_frequency"]
    response = await client.get(f"/api/shops/{analysed['shop']}/customers/analysis")
    assert response.status_code == 200, response.text
    state = response.json()
    assert state["report"]["id"] == analysed["report"] and state["progress"] is None


async def test_running_now_needs_a_manager_and_never_runs_a_shop_twice(
    api: httpx.AsyncClient, make_user: MakeUser, worker: list[object], pg: psycopg.Connection
) -> None:
    from infra.temporal_client import connect
    from workflows.customers import workflow_id

    shop = new_shop(pg, "Run-now shop")
    copy_orders(pg, shop, simulated_orders(shop, 200, seed=3, start=history_start()))
    viewer, password = make_user(shops={shop: "viewer"})
    await login(api, viewer.email, password)
    assert_problem(await api.post(f"/api/shops/{shop}/customers/analysis"), 403)
    manager, password = make_user(shops={shop: "manager"})
    await login(api, manager.email, password)
    first = await api.post(f"/api/shops/{shop}/customers/analysis")
    second = await api.post(f"/api/shops/{shop}/customers/analysis")
    assert first.status_code == second.status_code == 202
    assert first.json()["started"] is True and second.json()["run_id"] == first.json()["run_id"]
    client = await connect()
    await client.get_workflow_handle(workflow_id(shop)).result()
    state = (await api.get(f"/api/shops/{shop}/customers/analysis")).json()
    assert state["report"]["status"] in ("completed", "not_enough_data")
    assert state["report"]["trigger"] == "manual"
