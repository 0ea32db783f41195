"""Multi-supplier purchasing MILP: cheapest feasible supplier, splits, packs, budget, risk."""

from __future__ import annotations

import pandas as pd
import pytest

from activities.inventory.analytics import PurchasePlan, PurchasingInfeasible, plan_purchases


def needs(*rows: tuple[str, float], sd: float = 0.0, penalty: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "variant_id": v,
                "quantity": q,
                "mean_demand": q / 10,
                "sd_demand": sd,
                "stockout_penalty": penalty,
            }
            for v, q in rows
        ]
    )


def offers(*rows: dict[str, object]) -> pd.DataFrame:
    base = {"lead_time_mean": 5.0, "lead_time_sd": 0.0}
    return pd.DataFrame([base | row for row in rows])


def bought(plan: PurchasePlan, variant: str) -> dict[str, float]:
    lines = plan.orders[plan.orders["variant_id"] == variant]
    return dict(zip(lines["supplier_id"], lines["quantity"], strict=True))


def test_cheaper_feasible_supplier_wins() -> None:
    plan = plan_purchases(
        needs(("A", 100)),
        offers(
            {"variant_id": "A", "supplier_id": "cheap", "unit_price": 9.0},
            {"variant_id": "A", "supplier_id": "dear", "unit_price": 10.0},
        ),
    )
    assert bought(plan, "A") == {"cheap": 100}
    assert plan.purchase_cost == pytest.approx(900.0)


def test_cheapest_supplier_that_cannot_supply_is_skipped() -> None:
    # The cheapest supplier's MOQ of 500 exceeds its capacity: it can never deliver.
    plan = plan_purchases(
        needs(("A", 100)),
        offers(
            {
                "variant_id": "A",
                "supplier_id": "cheapest",
                "unit_price": 8.0,
                "moq": 500,
                "capacity": 300,
            },
            {"variant_id": "A", "supplier_id": "next", "unit_price": 9.5},
        ),
    )
    assert bought(plan, "A") == {"next": 100}


def test_fixed_order_cost_moves_a_small_order_to_the_supplier_without_one() -> None:
    table = offers(
        {"variant_id": "A", "supplier_id": "low_price", "unit_price": 9.0, "order_cost": 50.0},
        {"variant_id": "A", "supplier_id": "no_fee", "unit_price": 10.0},
    )
    assert bought(plan_purchases(needs(("A", 20)), table), "A") == {"no_fee": 20}
    assert bought(plan_purchases(needs(("A", 100)), table), "A") == {"low_price": 100}


def test_capacity_forces_a_split() -> None:
    plan = plan_purchases(
        needs(("A", 100)),
        offers(
            {"variant_id": "A", "supplier_id": "cheap", "unit_price": 9.0, "capacity": 60},
            {"variant_id": "A", "supplier_id": "dear", "unit_price": 10.0},
        ),
    )
    assert bought(plan, "A") == {"cheap": 60, "dear": 40}
    assert plan.purchase_cost == pytest.approx(60 * 9 + 40 * 10)


def test_moq_of_the_second_supplier_shapes_the_split() -> None:
    # cheap can deliver at most 70, so dear must deliver >= 30, but dear's MOQ is 40.
    plan = plan_purchases(
        needs(("A", 100)),
        offers(
            {"variant_id": "A", "supplier_id": "cheap", "unit_price": 9.0, "capacity": 70},
            {"variant_id": "A", "supplier_id": "dear", "unit_price": 10.0, "moq": 40},
        ),
    )
    assert bought(plan, "A") == {"cheap": 60, "dear": 40}


def test_orders_come_in_whole_packs() -> None:
    plan = plan_purchases(
        needs(("A", 95)),
        offers({"variant_id": "A", "supplier_id": "s", "unit_price": 2.0, "pack_size": 12}),
    )
    line = plan.orders.iloc[0]
    assert (line["packs"], line["quantity"]) == (8, 96)


def test_lead_time_variability_costs_risk_and_decides_between_equal_prices() -> None:
    table = offers(
        {"variant_id": "A", "supplier_id": "steady", "unit_price": 10.0, "lead_time_sd": 0.5},
        {"variant_id": "A", "supplier_id": "erratic", "unit_price": 9.9, "lead_time_sd": 4.0},
    )
    without_risk = plan_purchases(needs(("A", 100)), table)
    with_risk = plan_purchases(needs(("A", 100), sd=3.0, penalty=5.0), table)
    assert bought(without_risk, "A") == {"erratic": 100}
    assert bought(with_risk, "A") == {"steady": 100}
    assert with_risk.risk_cost > 0


def test_budget_caps_spend_across_variants_and_shortage_takes_the_rest() -> None:
    table = offers(
        {"variant_id": "A", "supplier_id": "s", "unit_price": 10.0},
        {"variant_id": "B", "supplier_id": "s", "unit_price": 5.0},
    )
    full = plan_purchases(needs(("A", 50), ("B", 50)), table)
    assert full.purchase_cost == pytest.approx(750.0)
    # 600 buys everything of B (250) and 35 of A; missing A costs more per unit than missing B.
    plan = plan_purchases(needs(("A", 50), ("B", 50)), table, budget=600, shortage_cost=20.0)
    assert plan.purchase_cost + plan.fixed_cost <= 600 + 1e-6
    assert plan.shortages.sum() == pytest.approx(15.0)
    assert plan.shortages["A"] == pytest.approx(15.0)


def test_budget_prefers_the_cheaper_supplier_over_the_safer_one() -> None:
    table = offers(
        {"variant_id": "A", "supplier_id": "safe", "unit_price": 10.0, "lead_time_sd": 0.0},
        {"variant_id": "A", "supplier_id": "cheap", "unit_price": 9.0, "lead_time_sd": 5.0},
    )
    need = needs(("A", 100), sd=2.0, penalty=10.0)
    assert bought(plan_purchases(need, table), "A") == {"safe": 100}
    # 950 affords half from each (risk halves with the share bought from the erratic supplier);
    # 900 affords only the cheap one.
    assert bought(plan_purchases(need, table, budget=950), "A") == {"safe": 50, "cheap": 50}
    assert bought(plan_purchases(need, table, budget=900), "A") == {"cheap": 100}


def test_shared_shipping_consolidates_orders_at_one_supplier() -> None:
    table = offers(
        {"variant_id": "A", "supplier_id": "x", "unit_price": 10.0},
        {"variant_id": "A", "supplier_id": "y", "unit_price": 10.5},
        {"variant_id": "B", "supplier_id": "x", "unit_price": 5.2},
        {"variant_id": "B", "supplier_id": "y", "unit_price": 5.0},
    )
    split = plan_purchases(needs(("A", 10), ("B", 10)), table)
    assert set(split.orders["supplier_id"]) == {"x", "y"}
    shipped = plan_purchases(needs(("A", 10), ("B", 10)), table, shipping_costs={"x": 30, "y": 30})
    assert set(shipped.orders["supplier_id"]) == {"x"}
    assert shipped.fixed_cost == pytest.approx(30.0)


def test_budget_below_the_cheapest_plan_says_how_much_is_needed() -> None:
    table = offers({"variant_id": "A", "supplier_id": "s", "unit_price": 10.0})
    with pytest.raises(
        PurchasingInfeasible, match=r"budget 500\.00 .* least any plan can spend is 1,000\.00"
    ):
        plan_purchases(needs(("A", 100)), table, budget=500)


def test_capacity_shortfall_names_the_variant() -> None:
    table = offers({"variant_id": "A", "supplier_id": "s", "unit_price": 10.0, "capacity": 30})
    with pytest.raises(PurchasingInfeasible, match="'A' needs 100, offers reach 30"):
        plan_purchases(needs(("A", 100)), table)


def test_variant_without_offers_and_bad_tables_are_clear_errors() -> None:
    table = offers({"variant_id": "A", "supplier_id": "s", "unit_price": 10.0})
    with pytest.raises(PurchasingInfeasible, match=r"no supplier offers variants \['B'\]"):
        plan_purchases(needs(("A", 1), ("B", 1)), table)
    with pytest.raises(ValueError, match="lacks columns"):
        plan_purchases(needs(("A", 1)).drop(columns="sd_demand"), table)
    with pytest.raises(ValueError, match="must be > 0"):
        plan_purchases(needs(("A", 0)), table)
