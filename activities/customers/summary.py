"""Transactions to per-customer (frequency, recency, T, monetary_value), Fader–Hardie style.

Definitions match lifetimes' `summary_data_from_transaction_data`: time is cut into periods of
`freq`; all purchases of a customer within one period count as one purchase whose value is their
sum; `frequency` is the number of purchase periods after the first, `recency` the age (in periods)
at the last purchase, `T` the age at the end of observation, `monetary_value` the mean value of
the repeat purchase periods (0 when there are none).

Refunds and zero-value orders (documented in docs/customer-analytics.md):
- a row with a negative amount is a refund, never a purchase; it is netted against the same
  customer's purchase period it falls in, or else against their latest earlier purchase period;
  refunds before the customer's first purchase in the window are dropped;
- a purchase period's value is clipped at 0, so a fully refunded order still counts as a visit
  (the customer did come back) but adds no spend;
- a zero-value order (free sample, 100 % voucher) is a purchase with value 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

SUMMARY_COLUMNS = ("frequency", "recency", "T", "monetary_value", "total_value")


class InvalidTransactions(ValueError):
    """The transaction frame cannot be summarised as given."""


@dataclass(frozen=True)
class _PurchasePeriods:
    """One row per (customer, purchase period), sorted by customer then period."""

    customer: np.ndarray  # int codes into `customers`
    period: np.ndarray  # period ordinals
    value: np.ndarray  # net value of the period, >= 0
    customers: pd.Index


def rfm_summary(
    transactions: pd.DataFrame,
    customer_col: str,
    datetime_col: str,
    monetary_col: str,
    observation_end: datetime | str | pd.Timestamp,
    freq: str = "W",
) -> pd.DataFrame:
    """Per-customer frequency, recency, T, monetary_value and total_value (net spend).

    Transactions after `observation_end` are ignored. Customers with only refunds in the window
    do not appear. The index holds the customer ids, named `customer_col`.
    """
    end = _period_of(observation_end, transactions, datetime_col, freq)
    rows = _select_until(transactions, customer_col, datetime_col, monetary_col, observation_end)
    periods = _purchase_periods(rows, customer_col, datetime_col, monetary_col, freq)
    return _summarise(periods, end, customer_col)


def calibration_holdout_summary(
    transactions: pd.DataFrame,
    customer_col: str,
    datetime_col: str,
    monetary_col: str,
    calibration_end: datetime | str | pd.Timestamp,
    observation_end: datetime | str | pd.Timestamp,
    freq: str = "W",
) -> pd.DataFrame:
    """The calibration summary plus `frequency_holdout` and `duration_holdout` per customer.

    Only customers who bought by `calibration_end` appear; `frequency_holdout` counts their
    purchase periods in (calibration_end, observation_end], as lifetimes does (a period that
    straddles `calibration_end` may count on both sides, so pass a period boundary).
    """
    cal_end_ts = _timestamp(calibration_end, transactions, datetime_col)
    obs_end_ts = _timestamp(observation_end, transactions, datetime_col)
    if cal_end_ts >= obs_end_ts:
        raise InvalidTransactions(
            f"calibration_end {cal_end_ts} must be before observation_end {obs_end_ts}"
        )
    summary = rfm_summary(
        transactions, customer_col, datetime_col, monetary_col, calibration_end, freq
    )
    when = _naive_datetimes(transactions, datetime_col)
    holdout = transactions.loc[(when > cal_end_ts) & (when <= obs_end_ts).to_numpy()]
    periods = _purchase_periods(holdout, customer_col, datetime_col, monetary_col, freq)
    counts = pd.Series(
        np.bincount(periods.customer, minlength=len(periods.customers)), index=periods.customers
    )
    summary["frequency_holdout"] = counts.reindex(summary.index, fill_value=0).astype(float)
    summary["duration_holdout"] = float(
        _period_of(observation_end, transactions, datetime_col, freq)
        - _period_of(calibration_end, transactions, datetime_col, freq)
    )
    return summary


def holdout_start(
    transactions: pd.DataFrame,
    datetime_col: str,
    observation_end: datetime | str | pd.Timestamp,
    holdout_periods: int,
    freq: str = "W",
) -> pd.Timestamp:
    """The calibration end that leaves the last `holdout_periods` whole periods for holdout."""
    end = _timestamp(observation_end, transactions, datetime_col).to_period(freq)
    return (end - holdout_periods).end_time


def _select_until(
    transactions: pd.DataFrame,
    customer_col: str,
    datetime_col: str,
    monetary_col: str,
    observation_end: datetime | str | pd.Timestamp,
) -> pd.DataFrame:
    missing = [c for c in (customer_col, datetime_col, monetary_col) if c not in transactions]
    if missing:
        raise InvalidTransactions(
            f"transactions lack column(s) {missing}; they have {list(transactions.columns)}"
        )
    end = _timestamp(observation_end, transactions, datetime_col)
    return transactions.loc[(_naive_datetimes(transactions, datetime_col) <= end).to_numpy()]


def _purchase_periods(
    rows: pd.DataFrame, customer_col: str, datetime_col: str, monetary_col: str, freq: str
) -> _PurchasePeriods:
    """Collapse rows to purchase periods, net refunds into them, drop refund-only periods."""
    amounts = pd.to_numeric(rows[monetary_col], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(amounts)
    if bad.any():
        raise InvalidTransactions(
            f"{int(bad.sum())} transaction(s) have no numeric {monetary_col!r} "
            f"(first at row {rows.index[np.argmax(bad)]!r}); fix or drop them before summarising"  # pyright: ignore[reportArgumentType, reportCallIssue]
        )
    ids = rows[customer_col]
    if ids.isna().any():
        raise InvalidTransactions(
            f"{int(ids.isna().sum())} transaction(s) have no {customer_col!r}; "
            "drop guest orders or give them an id (e.g. the e-mail) first"
        )
    codes, customers = pd.factorize(ids, sort=False)
    period = _naive_datetimes(rows, datetime_col).dt.to_period(freq).array.asi8
    # one int64 key (customer, period) sorts several times faster than a two-key lexsort
    first_period = period.min() if len(period) else 0
    span = int(period.max() - first_period) + 1 if len(period) else 1
    key = codes.astype(np.int64) * span + (period - first_period)
    order = np.argsort(key)
    codes, period, amounts, key = codes[order], period[order], amounts[order], key[order]

    starts = _run_starts(key)
    codes, period = codes[starts], period[starts]
    value = np.add.reduceat(amounts, starts) if len(starts) else amounts[:0]
    is_purchase = (
        np.maximum.reduceat((amounts >= 0).astype(np.int8), starts) > 0
        if len(starts)
        else np.zeros(0, dtype=bool)
    )

    # Refund-only periods go to the customer's latest earlier purchase period.
    refund_only = np.flatnonzero(~is_purchase)
    if len(refund_only):
        latest = np.maximum.accumulate(np.where(is_purchase, np.arange(len(codes)), -1))
        target = latest[refund_only]
        same_customer = (target >= 0) & (codes[np.maximum(target, 0)] == codes[refund_only])
        np.add.at(value, target[same_customer], value[refund_only[same_customer]])

    return _PurchasePeriods(
        customer=codes[is_purchase],
        period=period[is_purchase],
        value=np.maximum(value[is_purchase], 0.0),
        customers=pd.Index(customers),
    )


def _summarise(periods: _PurchasePeriods, end: int, customer_col: str) -> pd.DataFrame:
    starts = _run_starts(periods.customer)
    if len(starts) == 0:
        return pd.DataFrame(
            {c: pd.Series(dtype=float) for c in SUMMARY_COLUMNS},
            index=pd.Index([], name=customer_col),
        )
    ends = np.append(starts[1:], len(periods.customer)) - 1
    first, last = periods.period[starts], periods.period[ends]
    frequency = (ends - starts).astype(float)
    total = np.add.reduceat(periods.value, starts)
    repeat_value = total - periods.value[starts]
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(frequency > 0, repeat_value / frequency, 0.0)
    return pd.DataFrame(
        {
            "frequency": frequency,
            "recency": (last - first).astype(float),
            "T": (end - first).astype(float),
            "monetary_value": monetary,
            "total_value": total,
        },
        index=pd.Index(periods.customers[periods.customer[starts]], name=customer_col),
    )


def _run_starts(*keys: np.ndarray) -> np.ndarray:
    """Indices where any of the sorted key arrays changes value (start of each run)."""
    n = len(keys[0])
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for key in keys:
        change[1:] |= key[1:] != key[:-1]
    return np.flatnonzero(change)


def _naive_datetimes(frame: pd.DataFrame, datetime_col: str) -> pd.Series:
    """Datetimes as naive wall-clock times (in their own zone when zone-aware)."""
    try:
        when = pd.to_datetime(frame[datetime_col])
    except (ValueError, TypeError) as exc:
        raise InvalidTransactions(f"column {datetime_col!r} is not datetimes: {exc}") from exc
    if when.isna().any():
        raise InvalidTransactions(
            f"{int(when.isna().sum())} transaction(s) have no {datetime_col!r}; "
            "drop them before summarising"
        )
    if when.dt.tz is not None:
        when = when.dt.tz_localize(None)
    return when


def _timestamp(
    moment: datetime | str | pd.Timestamp, frame: pd.DataFrame, datetime_col: str
) -> pd.Timestamp:
    """`moment` as naive wall-clock time in the zone of the transactions' datetimes."""
    ts = pd.Timestamp(moment)
    zone = getattr(getattr(frame.get(datetime_col), "dt", None), "tz", None)
    if ts.tzinfo is not None:
        ts = ts.tz_convert(zone).tz_localize(None) if zone is not None else ts.tz_localize(None)
    return ts


def _period_of(
    moment: datetime | str | pd.Timestamp, frame: pd.DataFrame, datetime_col: str, freq: str
) -> int:
    return int(_timestamp(moment, frame, datetime_col).to_period(freq).ordinal)
