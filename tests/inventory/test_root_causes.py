"""Anomaly root causes (issue 22, item 5): on a simulated variant's order lines with one planted
cause, the anomaly's deviation is traced to it, ranked first, with a sentence."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from activities.inventory.root_causes import (
    BASELINE_DAYS,
    LINE_COLUMNS,
    explain,
    explain_anomalies,
    opening_stocks,
)

DAY = date(2026, 3, 1)
EXPECTED = 10.0


def normal_lines(rng: np.random.Generator, day: date, customers: int) -> list[dict[str, object]]:
    """A usual day: ~10 one-unit lines, 70 % web shop / 30 % marketplace, 80 % CZ, one in ten
    with a coupon, every line a different customer, at the usual 100."""
    return [
        {
            "variant_code": "V",
            "day": day,
            "quantity": 1.0,
            "channel": "shoptet" if rng.random() < 0.7 else "marketplace",
            "region": "CZ" if rng.random() < 0.8 else "SK",
            "customer": f"c{customers + k}@example.cz",
            "unit_price": 100.0,
            "promoted": bool(rng.random() < 0.1),
        }
        for k in range(int(rng.poisson(EXPECTED)))
    ]


def history(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, np.random.Generator]:
    """The baseline weeks and a usual anomaly day, both as order lines."""
    rng = np.random.default_rng(seed)
    lines: list[dict[str, object]] = []
    for back in range(BASELINE_DAYS, 0, -1):
        lines += normal_lines(rng, DAY - timedelta(days=back), len(lines))
    base = pd.DataFrame(lines, columns=list(LINE_COLUMNS))
    today = pd.DataFrame(normal_lines(rng, DAY, 10_000), columns=list(LINE_COLUMNS))
    return base, today, rng


def planted(today: pd.DataFrame, **line: object) -> pd.DataFrame:
    row = {
        "variant_code": "V",
        "day": DAY,
        "quantity": 1.0,
        "channel": "shoptet",
        "region": "CZ",
        "customer": None,
        "unit_price": 100.0,
        "promoted": False,
        **line,
    }
    return pd.concat([today, pd.DataFrame([row])], ignore_index=True)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_single_big_customer_is_the_first_cause(seed: int) -> None:
    base, today, _ = history(seed)
    today = planted(today, quantity=30.0, customer="velkoodber@firma.cz")
    causes = explain(float(today["quantity"].sum()), EXPECTED, today, base)
    top = causes[0]
    assert (top.dimension, top.value) == ("customer", "velkoodber@firma.cz")
    assert top.explained == pytest.approx(1.0, abs=0.35)
    assert "single customer" in top.sentence and "Jediný zákazník" in top.sentence_cs


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_channel_spike_is_the_first_cause(seed: int) -> None:
    base, today, _ = history(seed)
    for k in range(30):  # thirty new marketplace buyers, one unit each
        today = planted(today, channel="marketplace", customer=f"m{k}@example.sk", region="CZ")
    causes = explain(float(today["quantity"].sum()), EXPECTED, today, base)
    assert (causes[0].dimension, causes[0].value) == ("channel", "marketplace")
    assert "customer" not in [c.dimension for c in causes[:1]]
    assert causes[0].sentence.startswith("Channel marketplace")


def test_a_price_cut_is_the_first_cause() -> None:
    base, today, _ = history(4)
    today = today.assign(unit_price=79.0)
    for k in range(25):
        today = planted(today, unit_price=79.0, customer=f"p{k}@example.cz")
    causes = explain(float(today["quantity"].sum()), EXPECTED, today, base)
    assert (causes[0].dimension, causes[0].value) == ("price", "below")
    assert "79.00 against the usual 100.00 (-21 %)" in causes[0].sentence


def test_a_stock_out_explains_a_drop_and_a_spike_has_none() -> None:
    base, today, _ = history(5)
    causes = explain(1.0, EXPECTED, today.iloc[:1], base, opening_stock=1.0)
    assert causes[0].dimension == "stock_out"
    assert "opened with 1 units" in causes[0].sentence
    assert "Výpadek zásoby" in causes[0].sentence_cs
    spike = planted(today, quantity=30.0, customer="x@y.cz")
    found = explain(float(spike["quantity"].sum()), EXPECTED, spike, base, opening_stock=0.0)
    assert "stock_out" not in [c.dimension for c in found]


def test_explain_anomalies_reads_the_opening_stock_and_keeps_the_rows() -> None:
    base, today, _ = history(6)
    today = planted(today, quantity=30.0, customer="big@shop.cz")
    lines = pd.concat([base, today], ignore_index=True)
    anomalies = pd.DataFrame(
        {
            "variant_code": ["V", "V", "W"],
            "day": [DAY, DAY - timedelta(days=3), DAY],
            "sales": [float(today["quantity"].sum()), 0.0, 5.0],
            "expected": [EXPECTED, EXPECTED, 1.0],
        }
    )
    stock = pd.DataFrame(
        {
            "variant_code": ["V", "V"],
            "day": pd.to_datetime([DAY - timedelta(days=40), DAY - timedelta(days=5)]),
            "stock": [80.0, 0.0],
        }
    )
    opening = opening_stocks(anomalies, stock)
    assert opening[("V", DAY - timedelta(days=3))] == 0.0 and opening[("V", DAY)] == 0.0
    causes = explain_anomalies(anomalies, lines, opening)
    assert causes[0][0]["dimension"] == "customer"
    assert causes[1][0]["dimension"] == "stock_out"  # the shelf was empty
    assert isinstance(causes[2], list)  # a variant without lines: whatever explains it, no error
