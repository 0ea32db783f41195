"""Profit and price sensitivity through the nightly run, on shops whose truth is known.

The profit shop is the simulated BG/NBD shop with order lines built by hand: purchase prices on
the line, on the variant only, or from supplier offers only; shipping, payment and coupon lines;
an order in euros; refunds with and without lines; a cancelled order; and the shop's own cost
model. Its expected margins are computed here in Decimal, line by line, independently of the
SQL, and must match to the cent. Customers buy by kind: coupon-only buyers, full-price buyers,
alternating buyers and buyers of a product only ever sold at one price.
"""

from __future__ import annotations

import io
import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import LiteralString

import httpx
import numpy as np
import pandas as pd
import psycopg
import pytest

from activities.customers.simulation import simulate_price_response
from db.app_settings import set_setting
from db.engine import session_scope
from db.order_margins import COSTS_ROW, order_lines, order_margins
from tests.customers.conftest import analyse_now, history_start, new_shop
from tests.customers.seed import simulated_orders
from tests.support import MakeUser, assert_problem, login

D = Decimal
VAT = D("1.21")
COSTS = {
    "shipping_cost_share": D("0.8"),
    "shipping_cost_per_order": D("15"),
    "payment_cost_percent": D("1.5"),
    "payment_cost_per_order": D("2"),
}
EUR_RATE = D("24.20")
A_PURCHASE = D("60.50")  # on the line, with VAT: 50.00 without
B_VARIANT_PURCHASE = D("24.20")  # on the variant only: 20.00 without VAT
C_OFFERS = (D("35.00"), D("30.00"))  # supplier offers only, without VAT: the cheaper counts


@dataclass(frozen=True)
class Line:
    item_type: str
    code: str | None
    amount: D
    net: D  # line price without VAT
    gross: D  # line price with VAT
    purchase: D | None = None  # the line's unit purchase price with VAT

    def unit_cost(self, rate: D) -> D:
        """In the shop's currency: the line's own price is in the order's."""
        if self.item_type != "product":
            return D(0)
        if self.purchase is not None:
            return self.purchase / VAT * rate
        return {"B": B_VARIANT_PURCHASE / VAT, "C": min(C_OFFERS)}.get(self.code or "", D(0))


SHIPPING = Line("shipping", None, D(1), D("100.00"), D("121.00"))
BILLING = Line("billing", None, D(1), D("20.00"), D("24.20"))
COUPON = Line("discount-coupon", None, D(1), D("-10.00"), D("-12.10"))


def a(amount: int, sale: bool) -> Line:
    net, gross = (D("80.00"), D("96.80")) if sale else (D("100.00"), D("121.00"))
    return Line("product", "A", D(amount), net * amount, gross * amount, A_PURCHASE)


def lines_of(kind: int, nth: int) -> list[Line]:
    """The lines of a customer's `nth` purchase by kind: 0 coupon on sale items, 1 full price,
    2 alternating sale and full price, 3 product C (one price, paid in euros)."""
    if kind == 0:
        return [a(3, sale=True), COUPON, SHIPPING]
    if kind == 1:
        b = Line("product", "B", D(2), D("100.00"), D("121.00"))
        return [a(1, sale=False), b, SHIPPING, BILLING]
    if kind == 2:
        return [a(2, sale=nth % 2 == 0), SHIPPING]
    return [Line("product", "C", D(3), D("9.93"), D("12.00")), BILLING]  # in euros


def margin(lines: list[Line], total: D, rate: D) -> D:
    revenue = sum((line.net for line in lines), D(0)) if lines else total
    cost = sum((line.amount * line.unit_cost(rate) for line in lines), D(0))
    value = rate * revenue - cost
    if total >= 0:
        shipping = sum((line.net for line in lines if line.item_type == "shipping"), D(0))
        value -= rate * shipping * COSTS["shipping_cost_share"] + COSTS["shipping_cost_per_order"]
        value -= (
            rate * total * COSTS["payment_cost_percent"] / 100 + COSTS["payment_cost_per_order"]
        )
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class ProfitShop:
    shop_id: int
    profit: dict[str, D]  # expected margin so far by customer key
    units: dict[str, D]
    discounted: dict[str, D]
    kinds: dict[str, int]
    order_margins: dict[str, D]


def _copy(conn: psycopg.Connection, table: str, frame: pd.DataFrame) -> None:
    with (
        conn.cursor() as cur,
        cur.copy(f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv)") as copy,
    ):
        buffer = io.StringIO()
        frame.to_csv(buffer, header=False, index=False)
        copy.write(buffer.getvalue())


def build_profit_shop(pg: psycopg.Connection) -> ProfitShop:
    shop_id = new_shop(pg, "Profit shop")
    orders = simulated_orders(shop_id, 600, seed=23, start=history_start())
    expected = ProfitShop(shop_id, defaultdict(D), defaultdict(D), defaultdict(D), {}, {})
    order_rows, item_rows = [], []
    nth: dict[str, int] = defaultdict(int)
    for i, order in enumerate(orders.itertuples(index=False)):
        key = str(order.customer_key)
        kind = int(order.customer_id) % 4
        refund = float(order.total) < 0  # pyright: ignore[reportArgumentType]
        rate = EUR_RATE if kind == 3 and not refund else D(1)
        if refund and i % 2 == 0:  # a returned unit of A, credited
            lines = [Line("product", "A", D(-1), D("-100.00"), D("-121.00"), A_PURCHASE)]
        elif refund:
            lines = []
        else:
            lines = lines_of(kind, nth[key])
            nth[key] += 1
        total = sum((line.gross for line in lines), D(0)) if lines else D(str(order.total))
        value = margin(lines, total, rate)
        expected.order_margins[str(order.code)] = value
        expected.profit[key] += value
        expected.kinds[key] = kind
        for line in lines:
            if line.item_type == "product" and line.amount > 0:
                expected.units[key] += line.amount
                sale = kind == 0 or (kind == 2 and line.net / line.amount == D("80.00"))
                expected.discounted[key] += line.amount if sale else D(0)
        order_rows.append(
            (order.code, order.created_at, order.customer_guid, order.email, total, rate, False)
        )
        for j, line in enumerate(lines, start=1):
            item_rows.append(
                (
                    order.code,
                    j,
                    order.created_at,
                    line.item_type,
                    line.code,
                    line.code or line.item_type,
                    line.amount,
                    line.gross / line.amount,
                    line.gross,
                    line.net,
                    D(21),
                    line.purchase,
                )
            )
    # a cancelled order never counts
    first = orders.iloc[1]
    order_rows.append(
        (
            "CANCELLED-1",
            first["created_at"],
            first["customer_guid"],
            first["email"],
            D("121.00"),
            D(1),
            True,
        )
    )
    item_rows.append(
        (
            "CANCELLED-1",
            1,
            first["created_at"],
            "product",
            "A",
            "A",
            D(1),
            D("121.00"),
            D("121.00"),
            D("100.00"),
            D(21),
            None,
        )
    )
    frame = pd.DataFrame(
        order_rows,
        columns=[
            "code",
            "created_at",
            "customer_guid",
            "email",
            "total_with_vat",
            "exchange_rate",
            "cancelled",
        ],
    ).assign(shop_id=shop_id)
    _copy(pg, "orders", frame)
    items = pd.DataFrame(
        item_rows,
        columns=[
            "order_code",
            "item_id",
            "created_at",
            "item_type",
            "code",
            "name",
            "amount",
            "unit_price_with_vat",
            "price_with_vat",
            "price_without_vat",
            "vat_rate",
            "purchase_price",
        ],
    ).assign(shop_id=shop_id)
    _copy(pg, "order_items", items)
    pg.execute(
        "INSERT INTO variants (shop_id, code, product_guid, purchase_price) VALUES (%s, 'B', %s, %s)",
        (shop_id, uuid.uuid4(), B_VARIANT_PURCHASE),
    )
    for n, price in enumerate(C_OFFERS):
        supplier = pg.execute(
            "INSERT INTO suppliers (shop_id, name) VALUES (%s, %s) RETURNING id",
            (shop_id, f"Supplier {n}"),
        ).fetchone()
        assert supplier is not None
        pg.execute(
            "INSERT INTO supplier_offers (shop_id, supplier_id, variant_code, unit_price) "
            "VALUES (%s, %s, 'C', %s)",
            (shop_id, supplier[0], price),
        )
    pg.commit()
    return expected


@pytest.fixture(scope="module")
async def profit_shop(pg: psycopg.Connection) -> ProfitShop:
    shop = build_profit_shop(pg)
    async with session_scope() as session:
        for name, value in COSTS.items():
            await set_setting(session, f"analytics.customers.{name}", float(value), shop.shop_id)
    await analyse_now(shop.shop_id)
    return shop


def _metrics(pg: psycopg.Connection, shop_id: int) -> pd.DataFrame:
    rows = pg.execute(
        "SELECT customer_key, profit_total, margin_rate, clv_12m, clv_profit_12m, "
        "discount_share, price_buyer, discount_advice, churn_risk "
        "FROM customer_metrics WHERE shop_id = %s",
        (shop_id,),
    ).fetchall()
    pg.commit()
    columns = [
        "key",
        "profit",
        "margin_rate",
        "clv",
        "clv_profit",
        "share",
        "buyer",
        "advice",
        "risk",
    ]
    return pd.DataFrame.from_records(rows, columns=columns).set_index("key")


async def test_profit_per_customer_is_recovered_to_the_cent(
    profit_shop: ProfitShop, pg: psycopg.Connection
) -> None:
    metrics = _metrics(pg, profit_shop.shop_id)
    assert len(metrics) > 300
    wrong = {
        key: (stored, profit_shop.profit[key])
        for key, stored in metrics["profit"].items()
        if stored != profit_shop.profit[key]
    }
    assert not wrong, f"{len(wrong)} customers off, e.g. {list(wrong.items())[:3]}"


async def test_profit_clv_is_the_revenue_clv_times_the_margin_share(
    profit_shop: ProfitShop, pg: psycopg.Connection
) -> None:
    metrics = _metrics(pg, profit_shop.shop_id).dropna(subset=["clv"])
    assert len(metrics) > 300  # the model fitted
    rate = metrics["margin_rate"].astype(float)
    clv = metrics["clv"].astype(float) * rate
    rounding = 0.01 + 0.005 * rate.abs()  # both CLVs are stored to the cent
    assert ((metrics["clv_profit"].astype(float) - clv).abs() <= rounding).all()
    assert (metrics["clv_profit"] < metrics["clv"]).all()  # goods cost something


async def test_discount_only_and_full_price_buyers_are_told_apart(
    profit_shop: ProfitShop, pg: psycopg.Connection
) -> None:
    metrics = _metrics(pg, profit_shop.shop_id)
    kinds = pd.Series(profit_shop.kinds).reindex(metrics.index)
    assert set(metrics.loc[kinds == 0, "buyer"]) == {"discount_only"}
    assert set(metrics.loc[kinds == 1, "buyer"]) == {"full_price"}
    assert set(metrics.loc[kinds == 3, "buyer"]) == {"full_price"}  # one price: never a discount
    alternating = metrics.loc[kinds == 2]
    expected = pd.Series(
        {k: float(profit_shop.discounted[k] / profit_shop.units[k]) for k in alternating.index}
    )
    units = pd.Series({k: float(profit_shop.units[k]) for k in alternating.index})
    expected[units < 3] = np.nan  # too few units for a class (one order of two)
    assert np.allclose(
        alternating["share"].astype(float), expected.reindex(alternating.index), equal_nan=True
    )
    assert "mixed" in set(alternating["buyer"])


async def test_recommendations_offer_discounts_only_to_price_sensitive_customers_at_risk(
    profit_shop: ProfitShop, pg: psycopg.Connection
) -> None:
    metrics = _metrics(pg, profit_shop.shop_id)
    full_price = metrics["buyer"] == "full_price"
    assert (metrics.loc[full_price, "advice"] == "avoid").all()
    offered = metrics.loc[metrics["advice"] == "offer"]
    assert len(offered) > 0
    assert set(offered["buyer"]) <= {"discount_only", "mixed"}
    assert (offered["risk"] >= 0.5).all()
    sensitive_at_risk = metrics.loc[
        metrics["buyer"].isin(["discount_only", "mixed"]) & (metrics["risk"] >= 0.5)
    ]
    earning = sensitive_at_risk["margin_rate"] > 0
    assert earning.any() and (~earning).any()  # refunds larger than the purchases: a loss
    assert (sensitive_at_risk.loc[earning, "advice"] == "offer").all()
    assert sensitive_at_risk.loc[~earning, "advice"].isna().all()  # no discount on a loss


async def test_regular_prices_and_an_unmoved_price_is_unknown(
    profit_shop: ProfitShop, pg: psycopg.Connection
) -> None:
    rows = dict(
        pg.execute(
            "SELECT key, (status, reason, reference_price) FROM product_elasticities "
            "WHERE shop_id = %s AND scope = 'product'",
            (profit_shop.shop_id,),
        ).fetchall()
    )
    pg.commit()
    assert rows["C"][0] == "unknown" and rows["C"][1] == "price_never_moved"
    assert D(rows["A"][2]) == D("121.00") and D(rows["C"][2]) == D("96.80")


async def test_order_margins_in_the_api_match_to_the_cent(
    profit_shop: ProfitShop, api: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user, password = make_user(shops={profit_shop.shop_id: "viewer"})
    await login(api, user.email, password)
    key = next(k for k, kind in profit_shop.kinds.items() if kind == 3)
    response = await api.get(f"/api/shops/{profit_shop.shop_id}/customers/{key}/orders")
    assert response.status_code == 200, response.text
    orders = response.json()["items"]
    assert orders
    for order in orders:
        assert D(order["margin"]) == profit_shop.order_margins[order["code"]]
    detail = (await api.get(f"/api/shops/{profit_shop.shop_id}/customers/{key}")).json()
    assert D(detail["profit_total"]) == profit_shop.profit[key]
    assert detail["price_buyer"] == "full_price" and detail["discount_advice"] == "avoid"


async def test_set_based_margins_equal_the_per_order_ones(
    profit_shop: ProfitShop, pg: psycopg.Connection
) -> None:
    """The nightly run's one query per chunk (`order_margins`) and the API's per-order LATERAL
    (`order_lines`) give every order the same figures: refunds with and without lines, the
    returned unit, coupons, euros, orders without lines and the cancelled order (its lines
    count the same either way; the run leaves it out before)."""
    orders: LiteralString = (
        "SELECT o.code AS k, o.code, o.created_at, o.total_with_vat, o.exchange_rate "
        "FROM orders_all o WHERE o.shop_id = %(shop)s"
    )
    columns: LiteralString = (
        "revenue_net, goods_cost, discounts, margin, units, discounted_units, uncosted"
    )
    params = {"shop": profit_shop.shop_id, **{k: float(v) for k, v in COSTS.items()}}
    chunk = pg.execute(
        f"SELECT k, {columns} FROM ({order_margins(orders, '%(shop)s', COSTS_ROW)}) m",
        params,
    ).fetchall()
    one_by_one = pg.execute(
        f"SELECT o.k, {columns} FROM ({orders}) o CROSS JOIN {COSTS_ROW} "
        f"CROSS JOIN {order_lines('o', '%(shop)s', 'costs')}",
        params,
    ).fetchall()
    pg.commit()
    by_order = {row[0]: row[1:] for row in one_by_one}
    assert len(chunk) == len(one_by_one) == len(profit_shop.order_margins) + 1  # + cancelled
    assert {row[0]: row[1:] for row in chunk} == by_order
    assert {k: v[3] for k, v in by_order.items() if k != "CANCELLED-1"} == dict(
        profit_shop.order_margins
    )
    assert any(v[5] > 0 for v in by_order.values()) and any(v[6] > 0 for v in by_order.values())


async def test_customers_sort_by_profit_clv(
    profit_shop: ProfitShop, api: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user, password = make_user(shops={profit_shop.shop_id: "viewer"})
    await login(api, user.email, password)
    url = f"/api/shops/{profit_shop.shop_id}/customers/at-risk"
    seen: list[float] = []
    cursor = None
    while True:
        params = {"sort": "clv_profit", "min_churn_risk": 0, "limit": 97}
        body = (
            await api.get(url, params={**params, **({"cursor": cursor} if cursor else {})})
        ).json()
        seen += [float(c["clv_profit_12m"] or 0) for c in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(profit_shop.profit)
    assert seen == sorted(seen, reverse=True)
    segments = (await api.get(f"/api/shops/{profit_shop.shop_id}/customers/segments")).json()
    total = sum(D(s["profit_total"]) for s in segments["items"])
    assert total == sum(profit_shop.profit.values())


async def test_elasticity_through_the_database(pg: psycopg.Connection) -> None:
    """One order a week per product with that week's units, at that week's price."""
    shop_id = new_shop(pg, "Elastic shop")
    rng = np.random.default_rng(3)
    weeks = 100
    elastic = np.where(rng.random(weeks) < 0.35, 84.0, 100.0)
    sales = simulate_price_response(
        weeks,
        {
            "E": elastic,
            "F": np.full(weeks, 40.0),
            "G": np.where(rng.random(weeks) < 0.3, 45.0, 50.0),
        },
        {"E": -1.8, "F": -1.0, "G": -0.8},
        {"E": 50.0, "F": 30.0, "G": 20.0},
        rng,
    )
    start = pd.Timestamp(history_start(weeks * 7 + 3)).tz_localize("UTC").normalize()
    when = start + pd.to_timedelta(sales["week"] * 7 + 3, unit="D") + pd.Timedelta(hours=12)
    codes = [f"W{i:05d}" for i in range(len(sales))]
    total = (sales["units"] * sales["price"]).round(2)
    _copy(
        pg,
        "orders",
        pd.DataFrame(
            {
                "shop_id": shop_id,
                "code": codes,
                "created_at": when,
                "email": "buyer@example.cz",
                "total_with_vat": total,
            }
        ),
    )
    _copy(
        pg,
        "order_items",
        pd.DataFrame(
            {
                "shop_id": shop_id,
                "order_code": codes,
                "item_id": 1,
                "created_at": when,
                "item_type": "product",
                "code": sales["code"],
                "name": sales["code"],
                "amount": sales["units"],
                "unit_price_with_vat": sales["price"],
                "price_with_vat": total,
            }
        ),
    )
    pg.commit()
    await analyse_now(shop_id)
    rows = pg.execute(
        "SELECT key, status, elasticity, ci_low, ci_high, reason FROM product_elasticities "
        "WHERE shop_id = %s AND scope = 'product' ORDER BY key",
        (shop_id,),
    ).fetchall()
    pg.commit()
    by_key = {r[0]: r[1:] for r in rows}
    status, _, low, high, _ = by_key["E"]
    assert status == "estimated" and low < -1.8 < high, by_key["E"]
    assert by_key["F"][0] == "unknown" and by_key["F"][4] == "price_never_moved"


async def test_price_sensitivity_pages_and_bad_input_is_a_problem(
    profit_shop: ProfitShop, api: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user, password = make_user(shops={profit_shop.shop_id: "viewer"})
    await login(api, user.email, password)
    url = f"/api/shops/{profit_shop.shop_id}/price-sensitivity"
    first = (await api.get(url, params={"scope": "product", "limit": 1})).json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = (
        await api.get(url, params={"scope": "product", "cursor": first["next_cursor"]})
    ).json()
    keys = [first["items"][0]["key"]] + [r["key"] for r in second["items"]]
    assert keys == sorted(keys) and {"A", "B", "C"} <= set(keys)
    unknown = (await api.get(url, params={"status": "unknown"})).json()["items"]
    assert all(r["status"] == "unknown" and r["reason"] for r in unknown)
    assert_problem(await api.get(url, params={"scope": "brand"}), 422)
    assert_problem(await api.get(url, params={"cursor": "not-ours"}), 400)
    at_risk = f"/api/shops/{profit_shop.shop_id}/customers/at-risk"
    assert_problem(await api.get(at_risk, params={"sort": "revenue"}), 422)
    assert_problem(await api.get(f"{at_risk}.csv", params={"sort": "revenue"}), 422)
    missing = f"/api/shops/{profit_shop.shop_id}/customers/nobody@example.cz/orders"
    assert_problem(await api.get(missing), 404)
