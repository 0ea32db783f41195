"""Purchase orders: created from recommendations (one per supplier, once however often the
button is clicked) or by hand, listed, received and cancelled, scoped to the caller's shops;
and the nightly planning netting their open lines out of what it recommends."""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import psycopg
import pytest

from tests.inventory.conftest import SeededShop, plan_now, rows, seed
from tests.support import assert_problem, login


@pytest.fixture(scope="module")
async def planned(pg: psycopg.Connection) -> dict[str, object]:
    """A planned shop the tests' managers run, and another shop none of them belongs to."""
    shop = seed(pg, "Purchase order shop", variants=30, random_seed=5)
    other = seed(pg, "Other purchase order shop", variants=10, random_seed=6)
    await plan_now(shop.shop_id)
    await plan_now(other.shop_id)
    return {"shop": shop, "other": other}


@pytest.fixture
async def client(api: httpx.AsyncClient, make_user, planned) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    user, password = make_user(shops={planned["shop"].shop_id: "manager"})
    await login(api, user.email, password)
    return api


def _shop(planned: dict[str, object], which: str = "shop") -> SeededShop:
    return planned[which]  # type: ignore[return-value]


def _url(planned: dict[str, object], which: str = "shop") -> str:
    return f"/api/shops/{_shop(planned, which).shop_id}/purchase-orders"


def _recommendations(pg: psycopg.Connection, shop_id: int) -> list[tuple]:  # type: ignore[type-arg]
    """(id, variant_code, supplier_id, quantity, unit_price) of the shop's latest plan."""
    return rows(
        pg,
        "SELECT id, variant_code, supplier_id, quantity, unit_price "
        "FROM inventory_recommendations WHERE shop_id = %s ORDER BY id",
        shop_id,
    )


def _not_ordered(pg: psycopg.Connection, shop_id: int) -> list[tuple]:  # type: ignore[type-arg]
    ordered = {
        r[0]
        for r in rows(
            pg,
            "SELECT l.recommendation_id FROM purchase_order_lines l JOIN purchase_orders p "
            "ON p.id = l.purchase_order_id AND p.status = 'open' WHERE l.shop_id = %s "
            "AND l.recommendation_id IS NOT NULL",
            shop_id,
        )
    }
    # a purchase order needs a supplier: lines of variants nobody offers cannot be ordered
    return [r for r in _recommendations(pg, shop_id) if r[0] not in ordered and r[2] is not None]


def _supplier(pg: psycopg.Connection, shop_id: int) -> tuple[int, Decimal]:
    """The shop's first supplier and its lead time."""
    [(supplier, lead)] = rows(
        pg,
        "SELECT id, lead_time_days FROM suppliers WHERE shop_id = %s ORDER BY id LIMIT 1",
        shop_id,
    )
    return supplier, lead


async def test_orders_from_recommendations_one_per_supplier(
    client: httpx.AsyncClient, planned, pg: psycopg.Connection
) -> None:  # type: ignore[no-untyped-def]
    shop = _shop(planned)
    free = _not_ordered(pg, shop.shop_id)
    by_supplier: dict[int | None, list[tuple]] = defaultdict(list)  # type: ignore[type-arg]
    for rec in free:
        by_supplier[rec[2]].append(rec)
    suppliers = [s for s in by_supplier if s is not None][:2]
    assert len(suppliers) == 2, "the seeded plan buys from both suppliers"
    picked = [r for s in suppliers for r in by_supplier[s][:2]]

    response = await client.post(_url(planned), json={"recommendation_ids": [r[0] for r in picked]})
    assert response.status_code == 201, response.text
    orders = response.json()["items"]
    assert sorted(o["supplier_id"] for o in orders) == sorted(suppliers)
    for order in orders:
        assert order["status"] == "open"
        mine = [r for r in picked if r[2] == order["supplier_id"]]
        assert sorted(
            (line["recommendation_id"], line["variant_code"], Decimal(line["quantity"]))
            for line in order["lines"]
        ) == sorted((r[0], r[1], r[3]) for r in mine)
        assert {Decimal(line["unit_price"]) for line in order["lines"]} == {r[4] for r in mine}
        assert Decimal(order["total_cost"]) == sum(r[3] * r[4] for r in mine).quantize(
            Decimal("0.01")
        )
        [(lead,)] = rows(
            pg, "SELECT lead_time_days FROM suppliers WHERE id = %s", order["supplier_id"]
        )
        due = datetime.fromisoformat(order["expected_at"]) - datetime.fromisoformat(
            order["ordered_at"]
        )
        assert abs(due - timedelta(days=float(lead))) < timedelta(minutes=1)

    listed = (await client.get(_url(planned), params={"status": "open"})).json()["items"]
    assert {o["id"] for o in orders} <= {o["id"] for o in listed}
    recs = (
        await client.get(
            f"/api/shops/{shop.shop_id}/inventory/recommendations", params={"limit": 500}
        )
    ).json()["items"]
    on = {r["id"]: r for r in recs}
    for order in orders:
        for line in order["lines"]:
            rec = on[line["recommendation_id"]]
            assert rec["purchase_order_id"] == order["id"]
            assert Decimal(rec["on_order"]) >= Decimal(line["quantity"])
    # ordering them again is a conflict, naming the lines
    again = assert_problem(
        await client.post(_url(planned), json={"recommendation_ids": [picked[0][0]]}), 409
    )
    assert again["recommendation_ids"] == [picked[0][0]]


async def test_a_double_click_orders_once(
    client: httpx.AsyncClient, planned, pg: psycopg.Connection
) -> None:  # type: ignore[no-untyped-def]
    shop = _shop(planned)
    ids = [r[0] for r in _not_ordered(pg, shop.shop_id)[:3]]
    assert len(ids) == 3
    body = {"recommendation_ids": ids}
    answers = await asyncio.gather(*(client.post(_url(planned), json=body) for _ in range(3)))
    assert sorted(a.status_code for a in answers) == [201, 409, 409], [a.text for a in answers]
    lines = rows(
        pg,
        "SELECT l.recommendation_id, count(*) FROM purchase_order_lines l JOIN purchase_orders p "
        "ON p.id = l.purchase_order_id WHERE p.shop_id = %s AND l.recommendation_id = ANY(%s) "
        "GROUP BY 1",
        shop.shop_id,
        ids,
    )
    assert sorted(lines) == [(i, 1) for i in sorted(ids)]


async def test_another_shops_orders_and_lines_are_not_found(
    client: httpx.AsyncClient, planned, pg: psycopg.Connection
) -> None:  # type: ignore[no-untyped-def]
    other = _shop(planned, "other")
    theirs = _recommendations(pg, other.shop_id)[0][0]
    # their recommendation through my shop
    body = assert_problem(
        await client.post(_url(planned), json={"recommendation_ids": [theirs]}), 404
    )
    assert body["recommendation_ids"] == [theirs]
    # their shop's paths
    assert_problem(await client.get(_url(planned, "other")), 404)
    assert_problem(
        await client.post(_url(planned, "other"), json={"recommendation_ids": [theirs]}), 404
    )
    # their supplier, and their order, through my shop
    [(supplier,)] = rows(pg, "SELECT min(id) FROM suppliers WHERE shop_id = %s", other.shop_id)
    line = {"variant_code": _shop(planned).sim.codes[0], "quantity": "1"}
    assert_problem(
        await client.post(_url(planned), json={"supplier_id": supplier, "lines": [line]}), 404
    )
    [(order,)] = rows(
        pg,
        "INSERT INTO purchase_orders (shop_id) VALUES (%s) RETURNING id",
        other.shop_id,
    )
    for action in ("receive", "cancel"):
        assert_problem(await client.post(f"{_url(planned)}/{order}/{action}"), 404)
    assert_problem(await client.get(f"{_url(planned)}/{order}"), 404)
    [(status,)] = rows(pg, "SELECT status FROM purchase_orders WHERE id = %s", order)
    assert status == "open"


async def test_bad_input_is_a_422_naming_the_field(
    client: httpx.AsyncClient, planned, pg: psycopg.Connection
) -> None:  # type: ignore[no-untyped-def]
    url, code = _url(planned), _shop(planned).sim.codes[0]
    supplier, _ = _supplier(pg, _shop(planned).shop_id)
    cases = [
        ({"lines": [{"variant_code": code, "quantity": "0"}]}, "lines.0.quantity"),
        ({"lines": [{"variant_code": code, "quantity": "-2"}]}, "lines.0.quantity"),
        ({"lines": [{"variant_code": code, "quantity": "1", "unit_price": "-1"}]}, "unit_price"),
        (
            {"supplier_id": supplier, "lines": [{"variant_code": "NO-SUCH", "quantity": "1"}]},
            "lines.0.variant_code",
        ),
        ({"lines": [{"variant_code": code, "quantity": "1"}]}, "supplier_id"),  # needs one
        ({"lines": []}, "lines"),
        ({"recommendation_ids": []}, "recommendation_ids"),
        ({"recommendation_ids": ["x"]}, "recommendation_ids.0"),
        ({}, "recommendation_ids"),
        (
            {"recommendation_ids": [1], "lines": [{"variant_code": code, "quantity": "1"}]},
            "recommendation_ids",
        ),
        ({"recommendation_ids": [1], "supplier_id": 1}, "supplier_id"),
    ]
    for body, field in cases:
        problem = assert_problem(await client.post(url, json=body), 422)
        assert field in str(problem["detail"]), (body, problem)
    problem = assert_problem(await client.get(url, params={"status": "lost"}), 422)
    assert "status" in str(problem["detail"])


async def test_receive_partly_then_fully_cancel_and_closed_orders_conflict(
    client: httpx.AsyncClient, planned, pg: psycopg.Connection
) -> None:  # type: ignore[no-untyped-def]
    shop = _shop(planned)
    a, b = shop.sim.codes[1], shop.sim.codes[2]
    supplier, lead = _supplier(pg, shop.shop_id)
    created = await client.post(
        _url(planned),
        json={
            "supplier_id": supplier,
            "lines": [
                {"variant_code": a, "quantity": "10", "unit_price": "2.5"},
                {"variant_code": b, "quantity": "4"},
            ],
            "note": "phone order",
        },
    )
    assert created.status_code == 201, created.text
    order = created.json()["items"][0]
    assert order["supplier_id"] == supplier and order["total_cost"] == "25.00"
    # due the supplier's lead time after ordering
    due = datetime.fromisoformat(order["expected_at"]) - datetime.fromisoformat(order["ordered_at"])
    assert abs(due - timedelta(days=float(lead))) < timedelta(minutes=1)
    first, _ = order["lines"]
    url = f"{_url(planned)}/{order['id']}"

    too_much = await client.post(
        f"{url}/receive", json={"lines": [{"line_id": first["id"], "quantity": "11"}]}
    )
    assert "lines.0.quantity" in str(assert_problem(too_much, 422)["detail"])
    part = await client.post(
        f"{url}/receive", json={"lines": [{"line_id": first["id"], "quantity": "6"}]}
    )
    assert part.status_code == 200, part.text
    assert part.json()["status"] == "open"
    assert [Decimal(x["received_quantity"]) for x in part.json()["lines"]] == [6, 0]
    [(on_order,)] = rows(
        pg,
        "SELECT sum(quantity - received_quantity) FROM purchase_order_lines "
        "WHERE purchase_order_id = %s",
        order["id"],
    )
    assert on_order == Decimal(8)
    rest = await client.post(f"{url}/receive")  # no body: everything still outstanding
    assert rest.status_code == 200, rest.text
    done = rest.json()
    assert done["status"] == "received" and done["received_at"]
    assert [Decimal(x["received_quantity"]) for x in done["lines"]] == [10, 4]
    for action in ("receive", "cancel"):
        body = assert_problem(await client.post(f"{url}/{action}"), 409)
        assert body["status"] == 409 and "received" in str(body["detail"])

    other = (
        await client.post(
            _url(planned),
            json={"supplier_id": supplier, "lines": [{"variant_code": a, "quantity": "3"}]},
        )
    ).json()["items"][0]
    cancelled = await client.post(f"{_url(planned)}/{other['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancelled_at"]
    assert_problem(await client.post(f"{_url(planned)}/{other['id']}/cancel"), 409)
    assert_problem(await client.post(f"{_url(planned)}/{other['id']}/receive"), 409)
    listed = (await client.get(_url(planned), params={"status": "cancelled"})).json()["items"]
    assert other["id"] in [o["id"] for o in listed] and order["id"] not in [o["id"] for o in listed]


async def test_orders_page_by_keyset(
    client: httpx.AsyncClient, planned, pg: psycopg.Connection
) -> None:  # type: ignore[no-untyped-def]
    code = _shop(planned).sim.codes[3]
    supplier, _ = _supplier(pg, _shop(planned).shop_id)
    for _ in range(3):
        response = await client.post(
            _url(planned),
            json={"supplier_id": supplier, "lines": [{"variant_code": code, "quantity": "1"}]},
        )
        assert response.status_code == 201
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(_url(planned), params=params)).json()
        seen += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) >= 3 and seen == sorted(set(seen), reverse=True)


async def test_viewers_cannot_order(api: httpx.AsyncClient, make_user, planned) -> None:  # type: ignore[no-untyped-def]
    user, password = make_user(shops={planned["shop"].shop_id: "viewer"})
    await login(api, user.email, password)
    code = _shop(planned).sim.codes[0]
    line = {"variant_code": code, "quantity": "1"}
    assert_problem(await api.post(_url(planned), json={"lines": [line]}), 403)
    assert (await api.get(_url(planned))).status_code == 200


def _needs(pg: psycopg.Connection, shop_id: int) -> dict[str, tuple[float, float]]:
    """need_quantity and on_order per variant after the latest run."""
    return {
        code: (float(need), float(on_order))
        for code, need, on_order in rows(
            pg,
            "SELECT variant_code, need_quantity, on_order FROM inventory_variant_metrics "
            "WHERE shop_id = %s",
            shop_id,
        )
    }


def _recommended(pg: psycopg.Connection, shop_id: int) -> dict[str, Decimal]:
    found: dict[str, Decimal] = defaultdict(Decimal)
    for code, quantity in rows(
        pg,
        "SELECT variant_code, quantity FROM inventory_recommendations WHERE shop_id = %s",
        shop_id,
    ):
        found[code] += quantity
    return found


def _slack(pg: psycopg.Connection, shop_id: int, window_days: int) -> dict[str, float]:
    """Per variant, how many units on order still leave it due within the order window: the
    reorder point plus the window's forecast demand less what is on hand (the order-by date is
    the first day the position, on hand + on order, less the forecast reaches the reorder
    point). Read from the latest plan."""
    return {
        code: float(slack)
        for code, slack in rows(
            pg,
            "SELECT m.variant_code, m.reorder_point + coalesce(sum(f.mean), 0) - m.on_hand "
            "FROM inventory_variant_metrics m JOIN inventory_runs r ON r.id = m.run_id "
            "LEFT JOIN inventory_forecasts f ON f.shop_id = m.shop_id "
            "AND f.variant_code = m.variant_code AND f.day <= r.as_of + %s "
            "WHERE m.shop_id = %s AND m.on_hand IS NOT NULL "
            "GROUP BY m.variant_code, m.reorder_point, m.on_hand",
            window_days,
            shop_id,
        )
    }


# Fixed instants, so the simulated calendar (weekdays, Czech holidays) is the same on any day
# the suite runs: a month end, a midnight in Prague (00:00 CET on the day summer time begins),
# and the day this test first failed on the wall clock.
NETTING_INSTANTS = [
    datetime(2026, 1, 31, 10, 0, tzinfo=UTC),
    datetime(2026, 3, 28, 23, 0, tzinfo=UTC),
    datetime(2026, 12, 6, 1, 10, tzinfo=UTC),
]


@pytest.mark.parametrize("at", NETTING_INSTANTS, ids=lambda at: at.date().isoformat())
async def test_open_orders_are_netted_out_of_the_next_plan(
    api: httpx.AsyncClient, make_user, pg: psycopg.Connection, at: datetime
) -> None:  # type: ignore[no-untyped-def]
    """An open order counts in the stock position. One that covers the need leaves none; one
    that leaves the variant due within the order window leaves exactly the rest; one that lifts
    the position above the reorder point for the whole window moves the order-by date out of
    it, so nothing is ordered now (ordering the rest now would come too early)."""
    shop = seed(pg, "Netting shop", variants=30, random_seed=7, at=at)
    await plan_now(shop.shop_id, at)  # every run of this comparison plans as of the same day
    before = _needs(pg, shop.shop_id)
    recommended = _recommended(pg, shop.shop_id)
    slack = _slack(pg, shop.shop_id, 14)  # analytics.inventory.order_window_days
    needy = sorted((code for code, (need, _) in before.items() if need >= 4), key=before.get)
    # ordered from its recommendation, so it needs a supplier; the manual orders name one
    offered = {r[1] for r in _recommendations(pg, shop.shop_id) if r[2] is not None}
    covered = [code for code in needy if code in offered][-1]
    rest = [code for code in needy if code != covered]
    # still due with half its slack on order / pushed out of the window by slack + 1 units
    partial = next(c for c in rest if slack[c] >= 2 and slack[c] // 2 < before[c][0])
    pushed = next(c for c in rest if c != partial and slack[c] >= 0 and slack[c] + 1 < before[c][0])
    untouched = [c for c in needy if c not in (covered, partial, pushed)]
    assert untouched, before
    half = int(slack[partial] // 2)
    beyond = math.floor(slack[pushed]) + 1

    user, password = make_user(shops={shop.shop_id: "manager"})
    await login(api, user.email, password)
    url = f"/api/shops/{shop.shop_id}/purchase-orders"
    ids = [
        r[0]
        for r in _recommendations(pg, shop.shop_id)
        if r[1] == covered  # the whole recommendation: at least the need
    ]
    assert ids and recommended[covered] >= Decimal(before[covered][0])
    assert (await api.post(url, json={"recommendation_ids": ids})).status_code == 201
    supplier, _ = _supplier(pg, shop.shop_id)
    for code, quantity in ((partial, half), (pushed, beyond)):
        manual = {
            "supplier_id": supplier,
            "lines": [{"variant_code": code, "quantity": str(quantity)}],
        }
        assert (await api.post(url, json=manual)).status_code == 201

    await plan_now(shop.shop_id, at)
    after = _needs(pg, shop.shop_id)
    again = _recommended(pg, shop.shop_id)
    assert after[covered] == (0.0, float(recommended[covered]))
    assert covered not in again
    assert after[partial] == (before[partial][0] - half, float(half))
    assert 0 < again[partial] < recommended[partial]
    assert again[partial] >= Decimal(before[partial][0] - half)
    assert after[pushed] == (0.0, float(beyond))
    assert pushed not in again
    [(order_by,)] = rows(
        pg,
        "SELECT m.order_by IS NULL OR m.order_by > r.as_of + 14 FROM inventory_variant_metrics m "
        "JOIN inventory_runs r ON r.id = m.run_id WHERE m.shop_id = %s AND m.variant_code = %s",
        shop.shop_id,
        pushed,
    )
    assert order_by  # its order-by date left the window
    # the variants nothing is on order for are planned as before
    assert {c: after[c] for c in untouched} == {c: before[c] for c in untouched}

    # a cancelled order is no longer on order: the need comes back
    [(order,)] = rows(
        pg,
        "SELECT p.id FROM purchase_orders p JOIN purchase_order_lines l "
        "ON l.purchase_order_id = p.id WHERE p.shop_id = %s AND l.variant_code = %s",
        shop.shop_id,
        partial,
    )
    assert (await api.post(f"{url}/{order}/cancel")).status_code == 200
    await plan_now(shop.shop_id, at)
    assert _needs(pg, shop.shop_id)[partial] == before[partial]
