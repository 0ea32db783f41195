"""Supplier risk (issue 22, item 4): lead times learnt from received purchase orders, an
on-time rate with a prior, and a late, overdue, out-of-stock or over-budget primary supplier
replaced by an alternative, the MILP's choice changing with the record."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from activities.inventory.purchases import OUT_OF_STOCK_NOTE, PurchaseSettings, recommend
from activities.inventory.supplier_risk import (
    PRIOR_ON_TIME,
    PRIOR_ORDERS,
    offer_records,
    supplier_records,
)

AS_OF = date(2026, 3, 1)
NOW = pd.Timestamp("2026-03-02", tz="UTC")
SETTINGS = PurchaseSettings(AS_OF, 0.95, 0.0, 0.0, 7.0, "CZK")


def receipts(
    supplier: int, code: str, leads: list[float], typed: float, start: int = 0
) -> list[dict[str, object]]:
    """One received order per lead time, ordered a week apart, expected `typed` days later."""
    rows: list[dict[str, object]] = []
    for k, lead in enumerate(leads):
        ordered = pd.Timestamp("2025-01-01", tz="UTC") + pd.Timedelta(days=7 * (k + start))
        rows.append(
            {
                "supplier_id": supplier,
                "variant_code": code,
                "purchase_order_id": 1000 * supplier + k + start,
                "ordered_at": ordered,
                "expected_at": ordered + pd.Timedelta(days=typed),
                "received_at": ordered + pd.Timedelta(days=lead),
            }
        )
    return rows


def typed(*suppliers: tuple[int, float, float]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"supplier_id": s, "lead_time_mean": m, "lead_time_sd": sd} for s, m, sd in suppliers]
    )


def test_learnt_lead_time_matches_the_receipts_and_leans_on_the_prior_when_few() -> None:
    rng = np.random.default_rng(5)
    leads = list(np.round(rng.normal(12.0, 3.0, 80), 2))
    frame = pd.DataFrame(receipts(1, "A", leads, 7.0))
    learnt = supplier_records(frame, typed((1, 7.0, 1.0)), NOW).loc[1]
    x = np.asarray(leads)
    # many receipts: the record is the receipts' own mean and spread (the prior's 3 orders
    # weigh little), and the truth they were drawn from
    assert learnt["lead_time_mean"] == pytest.approx(x.mean(), abs=0.25)
    assert learnt["lead_time_sd"] == pytest.approx(x.std(ddof=1), rel=0.08)
    assert learnt["lead_time_mean"] == pytest.approx(12.0, abs=0.8)
    assert learnt["lead_time_sd"] == pytest.approx(3.0, rel=0.15)
    k, n = PRIOR_ORDERS, len(x)
    assert learnt["lead_time_mean"] == pytest.approx((k * 7.0 + n * x.mean()) / (k + n))
    assert learnt["deliveries"] == n

    # no history: the typed lead time; two receipts: between the two
    none = supplier_records(frame.iloc[:0], typed((1, 7.0, 1.0)), NOW).loc[1]
    assert (none["lead_time_mean"], none["lead_time_sd"]) == (7.0, 1.0)
    assert none["on_time_rate"] == pytest.approx(PRIOR_ON_TIME)
    two = supplier_records(frame.iloc[:2], typed((1, 7.0, 1.0)), NOW).loc[1]
    assert 7.0 < two["lead_time_mean"] < x[:2].mean()
    assert two["lead_time_sd"] > 1.0


def test_on_time_rate_counts_late_receipts_and_overdue_open_orders() -> None:
    late = receipts(1, "A", [7, 7, 7, 15, 15, 15, 15, 15, 15, 15], 7.0)
    open_order = {
        "supplier_id": 1,
        "variant_code": "A",
        "purchase_order_id": 99,
        "ordered_at": NOW - pd.Timedelta(days=30),
        "expected_at": NOW - pd.Timedelta(days=23),
        "received_at": pd.NaT,
    }
    not_due = {
        **open_order,
        "purchase_order_id": 98,
        "ordered_at": NOW - pd.Timedelta(days=2),
        "expected_at": NOW + pd.Timedelta(days=5),
    }
    learnt = supplier_records(pd.DataFrame([*late, open_order, not_due]), typed((1, 7.0, 1.0)), NOW)
    row = learnt.loc[1]
    # 3 of 10 received on time, and the overdue open order is late already (the one not yet
    # due says nothing): Beta(3.6, 0.4) prior
    assert (row["deliveries"], row["late"], row["overdue"]) == (10, 7, 1)
    assert row["on_time_rate"] == pytest.approx((3.6 + 3) / (4 + 11))
    assert row["late_days"] > 3.0  # late by 8 days, in more than half the deliveries


def test_an_offer_without_history_starts_from_its_supplier_record() -> None:
    history = pd.DataFrame(receipts(1, "A", [14.0] * 12, 7.0))
    offers = pd.DataFrame(
        {
            "supplier_id": [1, 1],
            "variant_code": ["A", "B"],
            "lead_time_mean": [7.0, 7.0],
            "lead_time_sd": [1.0, 1.0],
            "supplier_lead_time_mean": [7.0, 7.0],
            "supplier_lead_time_sd": [1.0, 1.0],
            "own_lead_time": [False, False],
        }
    )
    learnt = offer_records(history, offers, NOW).set_index("variant_code")
    assert learnt.loc["A", "lead_time_mean"] == pytest.approx((3 * 13.0 + 12 * 14) / 15, abs=0.5)
    assert learnt.loc["B", "lead_time_mean"] > 12.0  # the supplier is slow for B too
    assert learnt.loc["B", "on_time_rate"] < 0.5


def needs(code: str = "A", quantity: float = 100.0) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "variant_code": code,
                "name": f"Name {code}",
                "purchase_price": 10.0,
                "quantity": quantity,
                "mean_demand": 5.0,
                "sd_demand": 2.0,
                "stockout_penalty": 1.0,
                "order_by": AS_OF + timedelta(days=5),
                "on_hand": 10.0,
                "reorder_point": 40.0,
                "lead_time_days": 5.0,
                "lead_time_sd_days": 1.0,
            }
        ]
    )


def offer(supplier: int, price: float, **extra: object) -> dict[str, object]:
    return {
        "variant_code": "A",
        "supplier_id": supplier,
        "supplier_name": f"Supplier {supplier}",
        "unit_price": price,
        "moq": None,
        "pack_size": None,
        "price_breaks": None,
        "lead_time_mean": 5.0,
        "lead_time_sd": 1.0,
        "supplier_order_cost": 0.0,
        "currency": "CZK",
        "supplier_lead_time_mean": 5.0,
        "supplier_lead_time_sd": 1.0,
        "own_lead_time": False,
        "supplier_stock": None,
        **extra,
    }


def forecasts() -> pd.DataFrame:
    days = [AS_OF + timedelta(days=d) for d in range(1, 29)]
    return pd.DataFrame([{"variant_id": "A", "period": day, "mean": 5.0} for day in days])


def test_a_late_supplier_is_replaced_by_the_reliable_alternative() -> None:
    offers = pd.DataFrame([offer(1, 9.8), offer(2, 10.0)])
    # typed alike, supplier 1 cheaper: without a record the plan buys from it
    blind = recommend(needs(), offers, forecasts(), SETTINGS).rows
    assert blind["supplier_id"].tolist() == [1]
    assert pd.isna(blind.loc[0, "alternative_reason"])

    erratic = [5, 19, 6, 22, 15, 5, 25, 18, 6, 20]  # promised 5 days, often two weeks late
    history = pd.DataFrame(
        receipts(1, "A", erratic, 5.0) + receipts(2, "A", [5, 5, 6, 5, 4, 5, 5, 6, 5, 5], 5.0, 20)
    )
    planned = recommend(needs(), offers, forecasts(), SETTINGS, history)
    line = planned.rows.iloc[0]
    assert line["supplier_id"] == 2  # the MILP's choice changed with the record
    # supplier 2 was ordered from last: it is the primary, and reliable, so nothing to propose
    assert line["primary_supplier_name"] == "Supplier 2" and pd.isna(line["alternative_reason"])
    assert line["on_time_rate"] > 0.8
    assert line["lead_time_days"] == pytest.approx(5.1, abs=0.3)  # learnt, not typed
    risk = planned.plan["risk_cost"]
    # supplier 1 ordered from last: the primary, late, replaced by supplier 2
    habit = pd.DataFrame(receipts(2, "A", [5] * 10, 5.0) + receipts(1, "A", erratic, 5.0, 20))
    line = recommend(needs(), offers, forecasts(), SETTINGS, habit).rows.iloc[0]
    assert (line["supplier_id"], line["primary_supplier_name"]) == (2, "Supplier 1")
    assert (line["alternative_supplier_name"], line["alternative_reason"]) == ("Supplier 2", "late")
    assert risk > 0


def test_out_of_stock_over_budget_and_overdue_primaries() -> None:
    history = pd.DataFrame(receipts(1, "A", [5] * 5, 5.0))  # supplier 1 is the habit
    out = pd.DataFrame([offer(1, 9.0, supplier_stock=0.0), offer(2, 10.0)])
    line = recommend(needs(), out, forecasts(), SETTINGS, history).rows.iloc[0]
    assert (line["supplier_id"], line["alternative_reason"]) == (2, "out_of_stock")
    assert line["primary_supplier_name"] == "Supplier 1"

    only = pd.DataFrame([offer(1, 9.0, supplier_stock=0.0)])
    row = recommend(needs(), only, forecasts(), SETTINGS, history).rows.iloc[0]
    assert pd.isna(row["supplier_id"]) and row["note"] == OUT_OF_STOCK_NOTE

    pricey = pd.DataFrame([offer(1, 12.0), offer(2, 10.0)])
    budget = PurchaseSettings(AS_OF, 0.95, 0.0, 5000.0, 7.0, "CZK")
    line = recommend(needs(), pricey, forecasts(), budget, history).rows.iloc[0]
    assert (line["supplier_id"], line["alternative_reason"]) == (2, "over_budget")
    line = recommend(needs(), pricey, forecasts(), SETTINGS, history).rows.iloc[0]
    assert line["alternative_reason"] == "cheaper"

    # supplier 1 far cheaper, so still chosen, but an order of it is three weeks overdue:
    # supplier 2 is proposed beside it
    overdue = {
        "supplier_id": 1,
        "variant_code": "A",
        "purchase_order_id": 77,
        "ordered_at": NOW - pd.Timedelta(days=26),
        "expected_at": NOW - pd.Timedelta(days=21),
        "received_at": pd.NaT,
    }
    cheap = pd.DataFrame([offer(1, 6.0), offer(2, 10.0)])
    late = pd.concat([history, pd.DataFrame([overdue])], ignore_index=True)
    line = recommend(needs(), cheap, forecasts(), SETTINGS, late).rows.iloc[0]
    assert line["supplier_id"] == 1
    assert (line["alternative_supplier_id"], line["alternative_reason"]) == (2, "overdue")
