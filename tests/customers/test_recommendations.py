"""Co-purchases, cross-sell, association rules and per-customer picks on hand-counted baskets."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from activities.customers.analytics import (
    Baskets,
    association_rules,
    bundle_suggestions,
    cross_sell,
    item_pairs,
    recommend,
)

# Six orders. Items: bread 5, butter 3, milk 2, beer 2, chips 2, jam 1.
# Pairs: bread+butter 3, bread+milk 2, beer+chips 2, the rest 1.
ORDERS = {
    "o1": ["bread", "butter", "milk"],
    "o2": ["bread", "butter"],
    "o3": ["bread", "milk"],
    "o4": ["beer", "chips"],
    "o5": ["bread", "butter", "jam"],
    "o6": ["beer", "chips", "bread"],
}


def lines(orders: dict[str, list[str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(order, item) for order, items in orders.items() for item in items],
        columns=["order", "item"],
    )


def baskets(orders: dict[str, list[str]] = ORDERS) -> Baskets:
    return Baskets.from_lines(lines(orders), "order", "item")


def test_pairs_with_support_confidence_and_lift() -> None:
    pairs = item_pairs(baskets(), min_count=2)
    assert len(pairs) == 3
    by_items = {
        frozenset((a, b)): row
        for a, b, row in zip(pairs.item_a, pairs.item_b, pairs.itertuples(), strict=True)
    }
    beer = by_items[frozenset(("beer", "chips"))]
    assert (beer.count, beer.support, beer.lift) == (2, pytest.approx(2 / 6), pytest.approx(3.0))
    bread_butter = by_items[frozenset(("bread", "butter"))]
    assert bread_butter.lift == pytest.approx(3 * 6 / (5 * 3))  # 1.2
    confidences = sorted([bread_butter.confidence_a_to_b, bread_butter.confidence_b_to_a])
    assert confidences == pytest.approx([3 / 5, 1.0])
    assert pairs.iloc[0][["item_a", "item_b"]].tolist() in (["beer", "chips"], ["chips", "beer"])


def test_a_basket_holding_an_item_twice_counts_it_once() -> None:
    doubled = lines(ORDERS)
    doubled = pd.concat([doubled, doubled.iloc[[0]]])
    assert (
        baskets().item_counts.tolist()
        == Baskets.from_lines(doubled, "order", "item").item_counts.tolist()
    )


def test_association_rules_on_pairs() -> None:
    rules = association_rules(baskets(), min_support=2 / 6, min_confidence=0.5, min_lift=1.0)
    found = {(r.antecedent, r.consequent): r for r in rules.itertuples()}
    assert set(found) == {
        (("bread",), "butter"),  # 3/5 = 0.6
        (("butter",), "bread"),  # 3/3
        (("milk",), "bread"),  # 2/2; bread -> milk is 2/5 < 0.5
        (("beer",), "chips"),
        (("chips",), "beer"),
    }
    assert found[(("milk",), "bread")].confidence == 1.0
    assert found[(("milk",), "bread")].lift == pytest.approx(6 / 5)
    assert found[(("bread",), "butter")].support == pytest.approx(3 / 6)
    assert rules.iloc[0]["lift"] == pytest.approx(3.0)  # beer and chips first


def test_association_rules_with_a_frequent_triple() -> None:
    seven = {**ORDERS, "o7": ["bread", "butter", "milk"]}  # bread 6, butter 4, milk 3, N = 7
    rules = association_rules(baskets(seven), min_support=2 / 7, min_confidence=0.5)
    triples = rules[rules["antecedent"].map(len) == 2]
    found = {(r.antecedent, r.consequent): r for r in triples.itertuples()}
    assert set(found) == {
        (("bread", "butter"), "milk"),  # 2 of 4
        (("bread", "milk"), "butter"),  # 2 of 3
        (("butter", "milk"), "bread"),  # 2 of 2
    }
    assert found[(("bread", "butter"), "milk")].confidence == pytest.approx(0.5)
    assert found[(("bread", "butter"), "milk")].lift == pytest.approx(0.5 / (3 / 7))
    assert found[(("butter", "milk"), "bread")].confidence == 1.0
    assert all(r.count == 2 for r in found.values())
    pairs_only = association_rules(
        baskets(seven), min_support=2 / 7, min_confidence=0.5, max_size=2
    )
    assert pairs_only["antecedent"].map(len).max() == 1


def test_bundles_come_from_rules_best_lift_first() -> None:
    rules = association_rules(baskets(), min_support=2 / 6, min_confidence=0.5)
    bundles = bundle_suggestions(rules)
    assert bundles.iloc[0]["items"] == ("beer", "chips")
    assert set(bundles["items"]) == {("beer", "chips"), ("bread", "butter"), ("bread", "milk")}
    assert bundles.set_index("items").loc[[("bread", "butter")], "confidence"].item() == 1.0


def test_cross_sell_ranks_partners_by_lift() -> None:
    pairs = cross_sell(baskets(), min_count=2, min_lift=1.0, top=5)
    bread = pairs[pairs["item"] == "bread"]
    assert set(bread["suggestion"]) == {"butter", "milk"}
    assert pairs[pairs["item"] == "beer"]["suggestion"].tolist() == ["chips"]
    assert pairs[pairs["item"] == "chips"]["lift"].item() == pytest.approx(3.0)


def test_recommendations_exclude_what_the_customer_already_bought() -> None:
    purchases = pd.DataFrame(
        [("ann", "butter"), ("bob", "bread"), ("bob", "butter"), ("cid", "beer"), ("dan", "jam")],
        columns=["customer", "item"],
    )
    picks = recommend(baskets(), purchases, "customer", "item", top=3, min_count=2)
    by_customer = picks.groupby("customer")["item"].apply(list).to_dict()
    assert by_customer["ann"] == ["bread"]  # butter -> bread, confidence 1
    assert by_customer["bob"] == ["milk"]  # bread -> milk 2/5; bread and butter are owned
    assert by_customer["cid"] == ["chips"]
    assert "dan" not in by_customer  # jam is too rare to pair
    assert picks.loc[picks["customer"] == "bob", "score"].item() == pytest.approx(2 / 5)


def test_tens_of_thousands_of_products_stay_sparse_and_fast() -> None:
    rng = np.random.default_rng(41)
    n_orders, n_items = 100_000, 30_000
    sizes = rng.integers(1, 6, n_orders)
    popularity = rng.zipf(1.3, n_items * 4) % n_items  # a few bestsellers, a long tail
    order_lines = pd.DataFrame(
        {
            "order": np.repeat(np.arange(n_orders), sizes),
            "item": rng.choice(popularity, sizes.sum()),
            "customer": np.repeat(rng.integers(0, 40_000, n_orders), sizes),
        }
    )
    started = time.perf_counter()
    basket_set = Baskets.from_lines(order_lines, "order", "item")
    rules = association_rules(basket_set, min_support=0.001, min_confidence=0.05)
    picks = recommend(basket_set, order_lines, "customer", "item", top=5, chunk=10_000)
    elapsed = time.perf_counter() - started
    assert len(rules) > 0 and len(picks) > 0
    owned = set(zip(order_lines["customer"], order_lines["item"], strict=True))
    assert not any((c, i) in owned for c, i in zip(picks["customer"], picks["item"], strict=True))
    assert picks.groupby("customer").size().max() <= 5
    assert elapsed < 20
