"""Customer lifetime value as expected profit, not revenue.

The margin of each order comes from the database (db/order_margins.py); per customer the
analytics has the margin so far. Gamma-Gamma needs positive values, and a margin can be
negative, so the expected profit of a future purchase is the expected spend times the
customer's margin share, shrunk toward the shop's by their number of purchases
(a customer with one order mostly takes the shop's share; the more orders, the more their own):

    share_i = (n_i · own_i + k · shop) / (n_i + k),   own_i = profit_i / spend_i

with n_i the purchase periods (frequency + 1) and k = MARGIN_PRIOR_PURCHASES; own shares are
capped at ±1 (a customer cannot earn or cost more than all they paid unless lines and totals
disagree) and need a spend of at least a cent. CLV is linear in
the expected spend per purchase, so the profit CLV is the revenue CLV times that share.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

MARGIN_PRIOR_PURCHASES: Final = 3.0
# Spend below a cent (refunds netted to float dust) says nothing of a customer's margin.
MIN_SPEND: Final = 0.01


def margin_shares(
    profit: np.ndarray | pd.Series,
    spend: np.ndarray | pd.Series,
    purchases: np.ndarray | pd.Series,
    prior_purchases: float = MARGIN_PRIOR_PURCHASES,
) -> np.ndarray:
    """Each customer's shrunk share of spend that is profit (see the module docstring); NaN
    for everyone when the shop has no spend or no profit figures at all."""
    p = np.asarray(profit, dtype=float)
    s = np.asarray(spend, dtype=float)
    n = np.asarray(purchases, dtype=float)
    known = np.isfinite(p) & np.isfinite(s) & (s >= MIN_SPEND)
    if not known.any():
        return np.full(len(p), np.nan)
    shop = float(np.clip(p[known].sum() / s[known].sum(), -1.0, 1.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        # beyond ±1 the order lines and the order totals disagree (a refund netted against
        # a small spend, lines priced apart from the total): cap at all of the spend
        own = np.where(known, np.clip(p / s, -1.0, 1.0), shop)
    weight = np.where(known, n, 0.0)
    return (weight * own + prior_purchases * shop) / (weight + prior_purchases)


def profit_clv(clv: np.ndarray | pd.Series, shares: np.ndarray) -> np.ndarray:
    """Expected profit of the CLV horizon: the revenue CLV times the margin share."""
    return np.asarray(clv, dtype=float) * shares
