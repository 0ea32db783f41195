# pyright: strict
"""Supplier risk: each offer's on-time record, learnt from the purchase orders it delivered.

No I/O. A purchase order line is one delivery of one variant by one supplier: its lead time is
received − ordered (days), it was on time when it came at most `GRACE_DAYS` after it was
expected. An open order already past that is late too, and its age so far is a lower bound of
its lead time, so an overdue order raises the learnt lead time before it arrives.

Little history must not swing the plan, so the typed lead time is a prior worth
`PRIOR_ORDERS` deliveries (a normal–inverse-gamma style update: the mean shrinks towards the
typed one, the spread pools the typed spread with the observed one), and the on-time rate is
the mean of a Beta(`PRIOR_ON_TIME` × `PRIOR_WEIGHT`, (1 − `PRIOR_ON_TIME`) × `PRIOR_WEIGHT`)
updated by the deliveries. Two levels: a supplier's record is learnt over all its variants
(from its typed lead time); an offer without a lead time of its own starts from its supplier's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

PRIOR_ORDERS = 3.0  # the typed lead time weighs as much as three deliveries
PRIOR_ON_TIME = 0.9  # a supplier without a record is assumed mostly on time
PRIOR_WEIGHT = 4.0  # ... with the weight of four deliveries
GRACE_DAYS = 1.0  # a day late is on time: receipts are booked when someone has the time
LATE_RATE = 0.7  # below this on-time rate the primary supplier counts as late
DAY = pd.Timedelta(days=1)

RECEIPT_COLUMNS = (
    "supplier_id",
    "variant_code",
    "purchase_order_id",
    "ordered_at",
    "expected_at",
    "received_at",
)
RISK_COLUMNS = (
    "lead_time_mean",
    "lead_time_sd",
    "on_time_rate",
    "deliveries",  # received lines
    "late",  # of those, late
    "overdue",  # open lines past their expected day
    "late_days",  # expected days late per order: (1 − on-time rate) × mean lateness
)


def _floats(values: Any) -> NDArray[np.float64]:
    return np.asarray(values, dtype=np.float64)


@dataclass(frozen=True)
class LeadTimePrior:
    mean: float
    sd: float


def deliveries(receipts: pd.DataFrame, as_of: pd.Timestamp, typed_mean: pd.Series) -> pd.DataFrame:
    """One row per line: lead time in days, whether late, and days late.

    `receipts`: RECEIPT_COLUMNS (aware or naive timestamps alike; received_at NaT = still
    open). `typed_mean` (by supplier_id) dates a line without expected_at. Open lines not yet
    overdue say nothing about the supplier and are left out."""
    frame = receipts.reset_index(drop=True)
    ordered = pd.to_datetime(frame["ordered_at"], utc=True)
    received = pd.to_datetime(frame["received_at"], utc=True)
    typed = frame["supplier_id"].map(typed_mean).astype(float).fillna(0.0)
    expected = pd.to_datetime(frame["expected_at"], utc=True).fillna(
        ordered + pd.to_timedelta(typed, unit="D")
    )
    now = as_of.tz_localize("UTC") if as_of.tzinfo is None else as_of.tz_convert("UTC")
    arrived = received.notna()
    until = received.where(arrived, now)
    late_by = (until - expected) / DAY
    late = late_by > GRACE_DAYS
    kept = arrived | late  # an overdue open line is late already
    return pd.DataFrame(
        {
            "supplier_id": frame["supplier_id"],
            "variant_code": frame["variant_code"],
            "lead_days": ((until - ordered) / DAY).clip(lower=0.0),
            "late": late,
            "late_days": late_by.clip(lower=0.0).where(late, 0.0),
            "open": ~arrived,
        }
    )[kept.to_numpy()].reset_index(drop=True)


def _learn(lines: pd.DataFrame, keys: list[str], prior: pd.DataFrame) -> pd.DataFrame:
    """The posterior record per key of `prior` (columns lead_time_mean, lead_time_sd)."""
    grouped = lines.groupby(keys)
    stats = pd.DataFrame(
        {
            "n": grouped.size(),
            "mean": grouped["lead_days"].mean(),
            "ss": grouped["lead_days"].agg(lambda x: float(((x - x.mean()) ** 2).sum())),
            "late": grouped["late"].sum(),
            "lateness": grouped["late_days"].sum(),
            "received": grouped["open"].agg(lambda x: int((~x).sum())),
            "overdue": grouped["open"].sum(),
        }
    )
    stats = stats.reindex(prior.index).astype(float).fillna(0.0)
    n, k = _floats(stats["n"]), PRIOR_ORDERS
    m0, s0 = _floats(prior["lead_time_mean"]), _floats(prior["lead_time_sd"])
    x = _floats(stats["mean"])
    mean = (k * m0 + n * x) / (k + n)
    var = (k * s0**2 + _floats(stats["ss"]) + k * n / (k + n) * (x - m0) ** 2) / (k + n)
    late = _floats(stats["late"])
    a0, b0 = PRIOR_ON_TIME * PRIOR_WEIGHT, (1 - PRIOR_ON_TIME) * PRIOR_WEIGHT
    on_time = (a0 + n - late) / (a0 + b0 + n)
    # mean lateness of a late delivery: the observed one, else the spread (a late order is
    # about one spread late)
    lateness: NDArray[np.float64] = np.where(
        late > 0, _floats(stats["lateness"]) / np.maximum(late, 1), s0
    )
    return pd.DataFrame(
        {
            "lead_time_mean": mean,
            "lead_time_sd": np.sqrt(var),
            "on_time_rate": on_time,
            "deliveries": stats["received"].to_numpy(int),
            "late": (late - _floats(stats["overdue"])).astype(int),
            "overdue": stats["overdue"].to_numpy(int),
            "late_days": (1 - on_time) * lateness,
            "lateness": lateness,
        },
        index=prior.index,
    )


def supplier_records(
    receipts: pd.DataFrame, suppliers: pd.DataFrame, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Per supplier (index supplier_id): RISK_COLUMNS over all its deliveries.

    `suppliers`: supplier_id, lead_time_mean, lead_time_sd (the typed ones, the prior)."""
    prior = suppliers.drop_duplicates("supplier_id").set_index("supplier_id")
    lines = deliveries(receipts, as_of, prior["lead_time_mean"])
    return _learn(lines, ["supplier_id"], prior[["lead_time_mean", "lead_time_sd"]])


def offer_records(
    receipts: pd.DataFrame, offers: pd.DataFrame, as_of: pd.Timestamp
) -> pd.DataFrame:
    """`offers` with RISK_COLUMNS learnt per offer (supplier × variant), in the same order.

    `offers`: supplier_id, variant_code, lead_time_mean and lead_time_sd (the offer's typed
    ones, else its supplier's), supplier_lead_time_mean and supplier_lead_time_sd (the
    supplier's typed ones), optional own_lead_time (the offer names its own). An offer without
    its own lead time starts from its supplier's learnt record."""
    if offers.empty:
        return offers.assign(**{c: pd.Series(dtype=float) for c in RISK_COLUMNS})
    receipts = receipts.reindex(columns=list(RECEIPT_COLUMNS))
    typed = offers.rename(
        columns={"supplier_lead_time_mean": "sm", "supplier_lead_time_sd": "ssd"}
    ).drop_duplicates("supplier_id")
    suppliers = supplier_records(
        receipts,
        typed[["supplier_id", "sm", "ssd"]].set_axis(
            ["supplier_id", "lead_time_mean", "lead_time_sd"], axis=1
        ),
        as_of,
    )
    own_column = offers.get("own_lead_time", pd.Series(False, index=offers.index))
    own: NDArray[np.bool_] = own_column.fillna(False).astype(bool).to_numpy()
    learnt_mean = _floats(offers["supplier_id"].map(suppliers["lead_time_mean"]))
    learnt_sd = _floats(offers["supplier_id"].map(suppliers["lead_time_sd"]))
    prior_mean: NDArray[np.float64] = np.where(own, _floats(offers["lead_time_mean"]), learnt_mean)
    prior_sd: NDArray[np.float64] = np.where(own, _floats(offers["lead_time_sd"]), learnt_sd)
    prior = pd.DataFrame(
        {"lead_time_mean": prior_mean, "lead_time_sd": prior_sd},
        index=pd.MultiIndex.from_arrays(
            [offers["supplier_id"], offers["variant_code"]], names=["supplier_id", "variant_code"]
        ),
    )
    lines = deliveries(receipts, as_of, typed.set_index("supplier_id")["sm"])
    learnt = _learn(lines, ["supplier_id", "variant_code"], prior)
    # the on-time rate of an offer with few deliveries leans on its supplier's
    sup_rate = _floats(offers["supplier_id"].map(suppliers["on_time_rate"]))
    n = _floats(learnt["deliveries"]) + _floats(learnt["overdue"])
    late = _floats(learnt["late"]) + _floats(learnt["overdue"])
    rate = (sup_rate * PRIOR_WEIGHT + n - late) / (PRIOR_WEIGHT + n)
    out = offers.reset_index(drop=True).copy()
    for column in RISK_COLUMNS:
        out[column] = learnt[column].to_numpy()
    out["on_time_rate"] = rate
    out["late_days"] = (1 - rate) * _floats(learnt["lateness"])
    return out
