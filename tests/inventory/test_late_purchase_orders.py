"""Open purchase orders expected after the shelf runs empty: found by the nightly planning as
`late_purchase_order` anomalies (day = the projected stock-out, severity by the documented rule,
the bridging quantity from the stored forecast), notified once, listed by the API; orders that
come in time, cancelled orders and received lines raise nothing."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest

from activities.inventory.planning import short_day
from tests.inventory.conftest import SeededShop, plan_now, rows, seed
from tests.inventory.seed import CHEAP
from tests.support import MakeUser, login

TZ = ZoneInfo("Europe/Prague")
KIND = "late_purchase_order"


@dataclass(frozen=True)
class Planned:
    shop: SeededShop
    at: datetime  # every run plans as of this instant: noon of the day after the history
    as_of: date
    variants: dict[str, str]  # case -> variant code
    stock: dict[str, float]  # case -> the on-hand stock it was given
    orders: dict[str, int]  # case -> purchase order id


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), TZ)


def _forecast(pg: psycopg.Connection, shop_id: int, code: str) -> list[float]:
    """The latest run's daily forecast means of a variant, first horizon day first."""
    return [
        float(mean)
        for (mean,) in rows(
            pg,
            "SELECT mean FROM inventory_forecasts WHERE shop_id = %s AND variant_code = %s "
            "ORDER BY day",
            shop_id,
            code,
        )
    ]


def _stock_running_out_on(forecast: list[float], day: int) -> float:
    """Stock that the forecast demand exhausts during horizon day `day` (1 = the first)."""
    before, through = sum(forecast[: day - 1]), sum(forecast[:day])
    whole = math.floor((before + through) / 2)
    return float(whole) if before < whole <= through else round((before + through) / 2, 3)


def _set_stock(pg: psycopg.Connection, shop_id: int, code: str, day: date, stock: float) -> None:
    """The variant's stock now (the end of as_of, which the next run reads as on hand)."""
    pg.execute(
        "INSERT INTO stock_history (shop_id, variant_code, day, stock, observed_at) "
        "VALUES (%s, %s, %s, %s, now()) ON CONFLICT (shop_id, variant_code, day) "
        "DO UPDATE SET stock = excluded.stock",
        (shop_id, code, day, stock),
    )
    pg.execute(
        "UPDATE stock_levels SET amount = %s WHERE shop_id = %s AND variant_code = %s",
        (stock, shop_id, code),
    )


def _order(
    pg: psycopg.Connection,
    shop_id: int,
    lines: list[tuple[str, float, float]],
    *,
    expected: datetime | None,
    status: str = "open",
    ordered: datetime | None = None,
    supplier_id: int | None = None,
) -> int:
    """A purchase order with lines (variant, quantity, received), as the API would store it."""
    [(order_id,)] = pg.execute(
        "INSERT INTO purchase_orders (shop_id, supplier_id, status, expected_at, ordered_at) "
        "VALUES (%s, %s, %s, %s, coalesce(%s, now())) RETURNING id",
        (shop_id, supplier_id, status, expected, ordered),
    ).fetchall()
    for code, quantity, received in lines:
        pg.execute(
            "INSERT INTO purchase_order_lines (purchase_order_id, shop_id, variant_code, "
            "quantity, received_quantity) VALUES (%s, %s, %s, %s, %s)",
            (order_id, shop_id, code, quantity, received),
        )
    return int(order_id)


# case -> (horizon day the shelf runs empty, horizon day the order is expected or None)
STOCKOUTS = {"high": 5, "medium": 12, "lead": 9, "in_time": 5, "no_date": 5}
STOCKOUTS |= {"cancelled": 5, "received_line": 5, "partial": 5, "received": 5}


@pytest.fixture(scope="module")
async def planned(pg: psycopg.Connection) -> Planned:
    """A planned shop, then stock cut so that chosen variants run out on chosen days and
    purchase orders placed for them; not yet planned again."""
    shop = seed(pg, "Late purchase orders shop", variants=40, random_seed=11)
    as_of = shop.sim.as_of
    at = _noon(as_of + timedelta(1))
    await plan_now(shop.shop_id, at)
    # variants that sold on the last days (no sold-out day for the new stock to uncensor),
    # fastest movers first
    open_days = (shop.sim.stock[-2:] > 0).all(axis=0)
    candidates = [
        code
        for _, code in sorted(
            (-sum(_forecast(pg, shop.shop_id, code)[:12]), code)
            for j, code in enumerate(shop.sim.codes)
            if open_days[j]
        )
    ]
    assert len(candidates) >= len(STOCKOUTS), candidates
    variants = dict(zip(STOCKOUTS, candidates, strict=False))
    stock = {}
    for case, code in variants.items():
        forecast = _forecast(pg, shop.shop_id, code)
        assert forecast[STOCKOUTS[case] - 1] > 0, (case, code, forecast)
        stock[case] = _stock_running_out_on(forecast, STOCKOUTS[case])
        _set_stock(pg, shop.shop_id, code, as_of, stock[case])
    lead = dict(
        rows(
            pg,
            "SELECT variant_code, lead_time_days FROM inventory_variant_metrics WHERE shop_id = %s",
            shop.shop_id,
        )
    )
    [(cheap,)] = rows(
        pg, "SELECT id FROM suppliers WHERE shop_id = %s AND name = %s", shop.shop_id, CHEAP["name"]
    )

    def due(days: float) -> datetime:
        return _noon(as_of + timedelta(days))

    v, sid = variants, shop.shop_id
    orders = {
        "high": _order(pg, sid, [(v["high"], 80, 0)], expected=due(20)),
        "medium": _order(pg, sid, [(v["medium"], 60, 0)], expected=due(15)),
        "lead": _order(
            pg, sid, [(v["lead"], 70, 0)], expected=due(9 + math.floor(lead[v["lead"]]) + 2)
        ),
        "in_time": _order(pg, sid, [(v["in_time"], 50, 0)], expected=due(2)),
        # no expected date: due the supplier's lead time (12 days) after it was ordered
        "no_date": _order(
            pg, sid, [(v["no_date"], 40, 0)], expected=None, ordered=due(1), supplier_id=cheap
        ),
        "cancelled": _order(
            pg, sid, [(v["cancelled"], 50, 0)], expected=due(20), status="cancelled"
        ),
        # one open order: one line fully received, the other only partly (10 of 40)
        "received_line": _order(
            pg, sid, [(v["received_line"], 30, 30), (v["partial"], 40, 10)], expected=due(20)
        ),
        "received": _order(pg, sid, [(v["received"], 50, 50)], expected=due(20), status="received"),
    }
    orders["partial"] = orders["received_line"]
    pg.commit()
    return Planned(shop, at, as_of, variants, stock, orders)


def _late(pg: psycopg.Connection, shop_id: int) -> dict[str, tuple[Any, ...]]:
    return {
        r[0]: r[1:]
        for r in rows(
            pg,
            "SELECT variant_code, day, severity, score, expected, purchase_order_id, arrives_on, "
            "bridge_quantity, notified_at IS NOT NULL FROM inventory_anomalies "
            "WHERE shop_id = %s AND kind = %s ORDER BY id",
            shop_id,
            KIND,
        )
    }


def _notes(pg: psycopg.Connection, shop_id: int) -> list[tuple[Any, ...]]:
    return rows(
        pg,
        "SELECT level, title, body, data FROM notifications WHERE shop_id = %s AND kind = %s "
        "ORDER BY id",
        shop_id,
        f"inventory.{KIND}",
    )


def _bridge(forecast: list[float], stock: float, arrival: int) -> float:
    """Forecast demand up to the day before the arrival that the stock does not cover."""
    return float(math.ceil(sum(forecast[: arrival - 1]) - stock - 1e-9))


async def test_orders_expected_after_the_stock_out_are_flagged_once(
    planned: Planned, pg: psycopg.Connection, api: httpx.AsyncClient, make_user: MakeUser
) -> None:
    shop_id, as_of, v = planned.shop.shop_id, planned.as_of, planned.variants
    assert _late(pg, shop_id) == {}  # nothing was on order in the first run
    await plan_now(shop_id, planned.at)
    late = _late(pg, shop_id)
    assert set(late) == {v["high"], v["medium"], v["lead"], v["no_date"], v["partial"]}

    lead = dict(
        rows(
            pg,
            "SELECT variant_code, lead_time_days FROM inventory_variant_metrics WHERE shop_id = %s",
            shop_id,
        )
    )
    lead_arrival = 9 + math.floor(lead[v["lead"]]) + 2
    expected = {  # case -> (stock-out day, arrival day, severity, units on the order)
        "high": (5, 20, "high", 80.0),  # runs out within 7 days
        "medium": (12, 15, "medium", 60.0),  # 3 days short, less than any lead time
        "lead": (9, lead_arrival, "high", 70.0),  # empty longer than the lead time
        "no_date": (5, 13, "high", 40.0),  # ordered on day 1 + the supplier's 12 days
        "partial": (5, 20, "high", 30.0),  # what is still outstanding of the line
    }
    for case, (out, arrival, severity, units) in expected.items():
        code = v[case]
        forecast = _forecast(pg, shop_id, code)
        assert late[code] == (
            as_of + timedelta(out),
            severity,
            float(arrival - out),
            units,
            planned.orders[case],
            as_of + timedelta(arrival),
            _bridge(forecast, planned.stock[case], arrival),
            True,
        ), case
        assert late[code][6] > 0

    notes = {n[3]["variant_code"]: n for n in _notes(pg, shop_id)}
    assert set(notes) == set(late)
    level, title, body, data = notes[v["high"]]
    bridge = late[v["high"]][6]
    assert level == "warning"
    assert title == (
        f"PO #{planned.orders['high']} for {v['high']} arrives "
        f"{short_day(as_of + timedelta(20))}, stock runs out {short_day(as_of + timedelta(5))}: "
        f"expedite it or bridge {int(bridge)} units"
    )
    assert "15 days" in body
    assert data["purchase_order_id"] == planned.orders["high"]
    assert data["arrives_on"] == (as_of + timedelta(20)).isoformat()
    assert data["bridge_quantity"] == bridge
    assert notes[v["medium"]][0] == "info"

    # the API lists them with their figures
    user, password = make_user(shops={shop_id: "viewer"})
    await login(api, user.email, password)
    page = (
        await api.get(f"/api/shops/{shop_id}/inventory/anomalies", params={"kind": KIND})
    ).json()
    listed = {a["variant_code"]: a for a in page["items"]}
    assert set(listed) == set(late)
    item = listed[v["medium"]]
    assert item["kind"] == KIND and item["severity"] == "medium"
    assert item["purchase_order_id"] == planned.orders["medium"]
    assert item["arrives_on"] == (as_of + timedelta(15)).isoformat()
    assert item["bridge_quantity"] == late[v["medium"]][6]
    assert item["expected"] == 60.0

    # the same night again: nothing new, nothing notified again
    await plan_now(shop_id, planned.at)
    assert _late(pg, shop_id) == late
    assert len(_notes(pg, shop_id)) == len(notes)

    # the next night the projected stock-out moves with the forecast, but the same order and
    # expected day are the same news: not stored or notified again
    await plan_now(shop_id, planned.at + timedelta(days=1))
    assert _late(pg, shop_id) == late
    assert len(_notes(pg, shop_id)) == len(notes)
