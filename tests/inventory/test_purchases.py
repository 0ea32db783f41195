"""From needs to recommendations: supplier choice, shared order costs, dates by lead time."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from activities.inventory.purchases import (
    NO_OFFER_NOTE,
    PurchaseSettings,
    recommend,
    tier_price,
)

AS_OF = date(2026, 3, 1)
SETTINGS = PurchaseSettings(
    as_of=AS_OF,
    service_level=0.95,
    order_cost=50.0,
    budget=0.0,
    lead_time_days=7.0,
    currency="CZK",
)


def needs(*rows: tuple[str, float, float]) -> pd.DataFrame:
    """(code, quantity, on hand) with 5 units a day of demand."""
    return pd.DataFrame(
        [
            {
                "variant_code": code,
                "name": f"Name {code}",
                "purchase_price": 10.0,
                "quantity": quantity,
                "mean_demand": 5.0,
                "sd_demand": 2.0,
                "stockout_penalty": 0.1,
                "order_by": AS_OF + timedelta(days=5),
                "on_hand": on_hand,
                "reorder_point": 40.0,
                "lead_time_days": 4.0,
                "lead_time_sd_days": 1.0,
            }
            for code, quantity, on_hand in rows
        ]
    )


def offer(
    code: str, supplier: int, price: float, lead: float, **extra: object
) -> dict[str, object]:
    return {
        "variant_code": code,
        "supplier_id": supplier,
        "supplier_name": f"Supplier {supplier}",
        "unit_price": price,
        "moq": None,
        "pack_size": None,
        "price_breaks": None,
        "lead_time_mean": lead,
        "lead_time_sd": 1.0,
        "supplier_order_cost": 0.0,
        "currency": "CZK",
        **extra,
    }


def forecasts(*codes: str) -> pd.DataFrame:
    days = [AS_OF + timedelta(days=d) for d in range(1, 29)]
    return pd.DataFrame(
        [{"variant_id": c, "period": day, "mean": 5.0} for c in codes for day in days]
    )


def test_the_cheaper_supplier_wins_and_the_order_cost_is_shared_by_value() -> None:
    plan = recommend(
        needs(("A", 100, 90), ("B", 50, 90)),
        pd.DataFrame(
            [
                offer("A", 1, 9.0, 4.0),
                offer("A", 2, 10.0, 4.0),
                offer("B", 1, 4.0, 4.0),
                offer("B", 2, 5.0, 4.0),
            ]
        ),
        forecasts("A", "B"),
        SETTINGS,
    )
    rows = plan.rows.set_index("variant_code")
    assert rows["supplier_id"].tolist() == [1, 1]
    assert rows.loc["A", "purchase_cost"] == 900.0 and rows.loc["B", "purchase_cost"] == 200.0
    # the shop's 50 per purchase order is charged once for supplier 1, split 900 : 200
    assert rows["order_cost"].sum() == pytest.approx(50.0)
    assert rows.loc["A", "order_cost"] == pytest.approx(50 * 900 / 1100, abs=0.01)
    assert rows["expected_cost"].sum() == pytest.approx(1150.0, abs=0.01)
    assert plan.plan["expected_cost"] == pytest.approx(1150.0, abs=0.01)


def test_a_slow_supplier_must_be_ordered_from_earlier() -> None:
    # 90 on hand, 5 a day: the fast supplier's reorder point (~31) is reached on day 12,
    # the slow one's (80 + safety stock, ~96) is above the stock already: order now
    plan = recommend(
        needs(("A", 100, 90)),
        pd.DataFrame([offer("A", 2, 8.0, 16.0)]),
        forecasts("A"),
        SETTINGS,
    )
    slow = plan.rows.iloc[0]
    plan = recommend(
        needs(("A", 100, 90)),
        pd.DataFrame([offer("A", 1, 8.0, 4.0)]),
        forecasts("A"),
        SETTINGS,
    )
    fast = plan.rows.iloc[0]
    assert slow["order_by"] == AS_OF + timedelta(days=1)
    assert fast["order_by"] == AS_OF + timedelta(days=12)


def test_packs_breaks_and_variants_without_offers() -> None:
    assert tier_price(10.0, [[50, 9.0], [100, 8.0]], 60) == 9.0
    assert tier_price(10.0, [[50, 9.0], [100, 8.0]], 10) == 10.0
    plan = recommend(
        needs(("A", 95, 0), ("Z", 7, 0)),
        pd.DataFrame([offer("A", 1, 10.0, 4.0, pack_size=12.0, price_breaks=[[90, 9.5]])]),
        forecasts("A", "Z"),
        SETTINGS,
    )
    rows = plan.rows.set_index("variant_code")
    assert (rows.loc["A", "quantity"], rows.loc["A", "packs"]) == (96, 8)
    assert rows.loc["A", "unit_price"] == 9.5  # the break the need reaches
    assert pd.isna(rows.loc["Z", "supplier_id"]) and rows.loc["Z", "note"] == NO_OFFER_NOTE
    assert rows.loc["Z", "expected_cost"] == 70.0
    assert plan.plan["without_offer"] == 1


def test_a_budget_buys_what_fits_and_says_what_is_left() -> None:
    plan = recommend(
        needs(("A", 100, 0)),
        pd.DataFrame([offer("A", 1, 10.0, 4.0)]),
        forecasts("A"),
        PurchaseSettings(AS_OF, 0.95, 0.0, 600.0, 7.0, "CZK"),
    )
    assert plan.rows["quantity"].sum() == 60
    assert (
        plan.plan["shortage_units"] == 40
        and "leaves 40 units of 1 variants" in plan.plan["message"]
    )
