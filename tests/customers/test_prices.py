"""Price sensitivity on simulated sales with a known elasticity, buyer classes, and the discount
advice the recommendations give from them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from activities.customers.analytics import (
    buyer_classes,
    category_elasticities,
    discount_advice,
    margin_shares,
    product_elasticities,
    regular_prices,
)
from activities.customers.prices import UNKNOWN_REASONS, price_levels
from activities.customers.simulation import simulate_price_response

WEEKS = 104


def _prices(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A product on sale (-15 %) in a third of the weeks and 10 % dearer in the second year;
    a sibling with its own sales; a product whose price never moved; one that moved by 2 %."""
    moved = np.where(np.arange(WEEKS) < 52, 100.0, 110.0)
    moved = np.where(rng.random(WEEKS) < 0.33, moved * 0.85, moved)
    sibling = np.where(rng.random(WEEKS) < 0.25, 200.0 * 0.8, 200.0)
    return {
        "ELASTIC": moved,
        "SIBLING": sibling,
        "FIXED": np.full(WEEKS, 50.0),
        "NUDGED": np.where(np.arange(WEEKS) % 2 == 0, 80.0, 81.6),
    }


def _sales(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return simulate_price_response(
        WEEKS,
        _prices(rng),
        {"ELASTIC": -1.8, "SIBLING": -0.6, "FIXED": -1.0, "NUDGED": -1.0},
        {"ELASTIC": 60.0, "SIBLING": 30.0, "FIXED": 80.0, "NUDGED": 40.0},
        rng,
    )


def test_elasticity_is_recovered_within_its_interval() -> None:
    rows = product_elasticities(_sales(seed=5)).set_index("key")
    elastic = rows.loc["ELASTIC"]
    assert elastic["status"] == "estimated"
    assert elastic["ci_low"] < -1.8 < elastic["ci_high"]
    assert elastic["ci_high"] - elastic["ci_low"] < 0.8  # informative, not just wide
    sibling = rows.loc["SIBLING"]
    assert sibling["status"] == "estimated" and sibling["ci_low"] < 0  # its own, weaker response


def test_interval_covers_the_truth_in_most_simulated_shops() -> None:
    covered = 0
    for seed in range(20):
        elastic = product_elasticities(_sales(seed)).set_index("key").loc["ELASTIC"]
        covered += int(elastic["ci_low"] < -1.8 < elastic["ci_high"])
    assert covered >= 16  # a 95 % interval; 16 of 20 leaves room for chance, not for bias


def test_unmoved_prices_are_unknown_with_the_reason() -> None:
    rows = product_elasticities(_sales(seed=5)).set_index("key")
    fixed = rows.loc["FIXED"]
    assert fixed["status"] == "unknown" and pd.isna(fixed["elasticity"])
    assert fixed["reason"] == "price_never_moved"
    nudged = rows.loc["NUDGED"]
    assert nudged["status"] == "unknown" and nudged["reason"] == "small_price_spread"
    assert abs(nudged["price_spread"] - 0.02) < 1e-9
    few = product_elasticities(_sales(seed=5).query("code == 'ELASTIC'").head(5))
    assert few.loc[0, "status"] == "unknown" and few.loc[0, "reason"] == "few_weeks"
    assert set(UNKNOWN_REASONS) >= {"price_never_moved", "small_price_spread", "few_weeks"}


def test_price_levels_count_only_levels_held_for_weeks() -> None:
    one_off = np.r_[np.full(20, 100.0), 90.0]
    levels = price_levels(one_off)
    assert (levels.weeks, levels.levels) == (21, 1)
    assert levels.unknown_reason() == "one_price_level"


def test_category_elasticity_pools_its_products() -> None:
    sales = _sales(seed=7)
    categories = pd.Series({"ELASTIC": "Shoes", "SIBLING": "Shoes", "FIXED": "Socks"})
    rows = category_elasticities(sales, categories).set_index("key")
    shoes = rows.loc["Shoes"]
    assert shoes["status"] == "estimated" and -1.9 < shoes["elasticity"] < -0.5
    assert rows.loc["Socks", "status"] == "unknown"
    assert "NUDGED" not in rows.index  # no category: left out


def test_regular_price_is_the_highest_common_price_not_the_sale_price() -> None:
    lines = pd.DataFrame(
        {
            "code": ["A", "A", "A", "B"],
            "price": [100.0, 80.0, 120.0, 10.0],
            "units": [40.0, 50.0, 5.0, 3.0],
        }
    )
    regular = regular_prices(lines)
    assert regular["A"] == 100.0  # 80 sold most, 120 too rarely to count
    assert regular["B"] == 10.0


def test_buyer_classes_from_discount_shares() -> None:
    share, classes = buyer_classes(
        np.array([10.0, 10.0, 10.0, 2.0, 4.0]), np.array([10.0, 0.0, 5.0, 2.0, 4.0])
    )
    assert list(classes) == ["discount_only", "full_price", "mixed", None, "discount_only"]
    assert share[2] == 0.5 and np.isnan(share[3])


def test_discount_offered_to_price_sensitive_customers_at_risk_never_to_full_price_buyers() -> None:
    advice = discount_advice(
        np.array(
            ["discount_only", "mixed", "full_price", "discount_only", None, "mixed"], dtype=object
        ),
        np.array([0.9, 0.7, 0.95, 0.1, 0.9, 0.8]),
        np.array([0.2, 0.1, 0.3, 0.2, 0.2, -0.05]),
    )
    assert list(advice) == ["offer", "offer", "avoid", None, None, None]


def test_margin_shares_shrink_to_the_shop_share() -> None:
    shares = margin_shares(
        np.array([30.0, 0.0, 300.0]), np.array([100.0, 0.0, 1000.0]), np.array([1.0, 1.0, 97.0])
    )
    shop = 330.0 / 1100.0
    assert shares[1] == shop  # nothing spent: the shop's share
    assert shares[0] == (1 * 0.3 + 3 * shop) / 4
    assert abs(shares[2] - 0.3) < 1e-12


def test_margin_shares_ignore_refund_dust_and_cap_at_all_of_the_spend() -> None:
    shares = margin_shares(
        np.array([100.0, 500.0, 20.0]), np.array([1e-13, 100.0, 100.0]), np.array([9.0, 9.0, 9.0])
    )
    shop = 1.0  # (500 + 20) / 200 = 2.6, capped
    assert shares[0] == shop
    assert shares[1] == (9 * 1.0 + 3 * shop) / 12
    assert np.isfinite(shares).all()
