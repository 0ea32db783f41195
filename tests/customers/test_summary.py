"""rfm_summary and calibration_holdout_summary on hand-computed order histories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from activities.customers.analytics import (
    InvalidTransactions,
    calibration_holdout_summary,
    rfm_summary,
)

# Weeks (W = Monday..Sunday) of 2024: week 0 starts Mon 1 Jan, week 8 ends Sun 3 Mar.
ORDERS = [
    ("A", "2024-01-01 09:00", 100.0),  # week 0
    ("A", "2024-01-03 18:00", 50.0),  # week 0 again: one purchase of 150
    ("A", "2024-01-15 10:00", 30.0),  # week 2
    ("A", "2024-02-05 10:00", 60.0),  # week 5
    ("B", "2024-02-20 10:00", 80.0),  # week 7, only purchase
    ("C", "2024-03-10 10:00", 99.0),  # after the observation end: ignored
    ("D", "2024-01-02 10:00", 200.0),  # week 0
    ("D", "2024-01-10 10:00", 100.0),  # week 1
    ("D", "2024-01-20 10:00", -100.0),  # week 2, refund only: nets into week 1
    ("E", "2024-01-02 10:00", 200.0),  # week 0
    ("E", "2024-01-03 10:00", -50.0),  # same week: nets to 150
    ("E", "2024-01-16 10:00", 100.0),  # week 2
    ("F", "2024-01-05 10:00", -30.0),  # a refund and nothing else: not a customer here
    ("G", "2024-01-02 10:00", -40.0),  # refund before any purchase in the window: dropped
    ("G", "2024-01-20 10:00", 70.0),  # week 2
    ("H", "2024-01-02 10:00", 100.0),  # week 0
    ("H", "2024-01-20 10:00", 0.0),  # week 2: a free order is still a purchase
]
END = "2024-03-03 23:59"


def orders() -> pd.DataFrame:
    frame = pd.DataFrame(ORDERS, columns=["customer", "at", "total"])
    frame["at"] = pd.to_datetime(frame["at"])
    return frame


def summary() -> pd.DataFrame:
    return rfm_summary(orders(), "customer", "at", "total", END, freq="W")


def test_same_week_purchases_count_once_and_monetary_is_mean_of_repeats() -> None:
    a = summary().loc["A"]
    assert (a.frequency, a.recency, a["T"]) == (2, 5, 8)
    assert a.monetary_value == pytest.approx((30 + 60) / 2)
    assert a.total_value == pytest.approx(240)


def test_one_purchase_has_frequency_zero_and_no_monetary_value() -> None:
    b = summary().loc["B"]
    assert (b.frequency, b.recency, b["T"], b.monetary_value) == (0, 0, 1, 0)
    assert b.total_value == 80


def test_orders_after_the_end_and_refund_only_customers_are_left_out() -> None:
    assert set(summary().index) == {"A", "B", "D", "E", "G", "H"}


def test_a_later_refund_nets_into_the_purchase_it_follows_which_still_counts() -> None:
    d = summary().loc["D"]
    assert (d.frequency, d.recency) == (1, 1)
    assert d.monetary_value == 0
    assert d.total_value == 200


def test_a_refund_in_the_purchase_week_lowers_that_purchase() -> None:
    e = summary().loc["E"]
    assert (e.frequency, e.monetary_value, e.total_value) == (1, 100, 250)


def test_refund_before_the_first_purchase_is_dropped() -> None:
    g = summary().loc["G"]
    assert (g.frequency, g["T"], g.total_value) == (0, 6, 70)


def test_zero_value_order_is_a_purchase_with_value_zero() -> None:
    h = summary().loc["H"]
    assert (h.frequency, h.recency, h.monetary_value, h.total_value) == (1, 2, 0, 100)


def test_daily_periods() -> None:
    a = rfm_summary(orders(), "customer", "at", "total", END, freq="D").loc["A"]
    assert (a.frequency, a.recency, a["T"]) == (3, 35, 62)


def test_zone_aware_times_match_their_wall_clock() -> None:
    aware = orders()
    aware["at"] = aware["at"].dt.tz_localize("Europe/Prague")
    zoned = rfm_summary(aware, "customer", "at", "total", pd.Timestamp(END, tz="Europe/Prague"))
    pd.testing.assert_frame_equal(zoned, summary())


def test_calibration_and_holdout_split() -> None:
    split = calibration_holdout_summary(
        orders(), "customer", "at", "total", "2024-01-21 23:59", END, freq="W"
    )
    assert set(split.index) == {"A", "D", "E", "G", "H"}  # B first bought in the holdout
    a = split.loc["A"]
    assert (a.frequency, a.recency, a["T"], a.frequency_holdout) == (1, 2, 2, 1)
    assert (split["duration_holdout"] == 6).all()
    assert split.loc["H", "frequency_holdout"] == 0


def test_empty_history_gives_an_empty_summary() -> None:
    empty = orders().iloc[:0]
    result = rfm_summary(empty, "customer", "at", "total", END)
    assert result.empty
    assert {"frequency", "recency", "T", "monetary_value"} <= set(result.columns)


def test_missing_column_is_named() -> None:
    with pytest.raises(InvalidTransactions, match=r"lack column\(s\) \['amount'\]"):
        rfm_summary(orders(), "customer", "at", "amount", END)


def test_missing_amounts_and_ids_are_counted() -> None:
    frame = orders()
    frame.loc[[1, 2], "total"] = np.nan
    with pytest.raises(InvalidTransactions, match="2 transaction"):
        rfm_summary(frame, "customer", "at", "total", END)
    frame = orders()
    frame.loc[0, "customer"] = None
    with pytest.raises(InvalidTransactions, match=r"1 transaction.*'customer'"):
        rfm_summary(frame, "customer", "at", "total", END)
