"""What to offer next: co-purchases with lift, cross-sell pairs, bundles, per-customer picks,
and who to offer a discount to (and who not).

Everything works on a sparse basket x item matrix (one row per order, 1 where the order holds
the item), so tens of thousands of products cost memory in proportion to the order lines, not
to products squared. Items bought fewer than `min_count` times are dropped before pairing:
a pair or bundle can never be more frequent than its rarest item (the Apriori property).

Measures, for itemsets A, B over N baskets: support(A) = baskets holding A / N;
confidence(A -> B) = support(A ∪ B) / support(A); lift(A -> B) = confidence / support(B).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Final, cast

import numpy as np
import pandas as pd
from scipy import sparse

# A discount wins back a price-sensitive customer only while they may still leave.
DISCOUNT_MIN_CHURN_RISK: Final = 0.5


def discount_advice(
    price_buyer: np.ndarray | pd.Series,
    churn_risk: np.ndarray | pd.Series,
    margin_share: np.ndarray | pd.Series,
) -> np.ndarray:
    """Per customer: "offer" a discount to price-sensitive buyers (discount-only or mixed) who
    are at risk (churn risk at least DISCOUNT_MIN_CHURN_RISK) and still earn the shop money;
    "avoid" one for full-price buyers (they pay the full price anyway: a discount only gives
    margin away); None otherwise (no advice: too few units, or not at risk)."""
    buyer = np.asarray(price_buyer, dtype=object)
    risk = np.asarray(churn_risk, dtype=float)
    share = np.asarray(margin_share, dtype=float)
    advice = np.full(len(buyer), None, dtype=object)
    sensitive = (buyer == "discount_only") | (buyer == "mixed")
    earns = ~(share <= 0)  # an unknown margin (NaN) does not block the offer
    advice[sensitive & (risk >= DISCOUNT_MIN_CHURN_RISK) & earns] = "offer"
    advice[buyer == "full_price"] = "avoid"
    return advice


@dataclass(frozen=True)
class Baskets:
    """Which items each basket (order) holds."""

    matrix: sparse.csr_matrix  # baskets x items, int32 ones
    items: pd.Index
    baskets: pd.Index

    @classmethod
    def from_lines(cls, lines: pd.DataFrame, basket_col: str, item_col: str) -> Baskets:
        """From order lines; a basket holding an item twice counts it once."""
        missing = [c for c in (basket_col, item_col) if c not in lines]
        if missing:
            raise ValueError(f"order lines lack column(s) {missing}; have {list(lines.columns)}")
        known = lines[basket_col].notna() & lines[item_col].notna()
        basket_codes, baskets = pd.factorize(lines.loc[known, basket_col])
        item_codes, items = pd.factorize(lines.loc[known, item_col])
        matrix = sparse.csr_matrix(
            (np.ones(len(basket_codes), dtype=np.int32), (basket_codes, item_codes)),
            shape=(len(baskets), len(items)),
        )
        matrix.sum_duplicates()
        matrix.data[:] = 1
        return cls(matrix, pd.Index(items), pd.Index(baskets))

    @property
    def item_counts(self) -> np.ndarray:
        return np.asarray(self.matrix.sum(axis=0)).ravel()

    def __len__(self) -> int:
        return self.matrix.shape[0]  # pyright: ignore[reportOptionalSubscript]


def item_pairs(baskets: Baskets, min_count: int = 2) -> pd.DataFrame:
    """Every pair bought together in at least `min_count` baskets, once per unordered pair:
    item_a, item_b, count, support, confidence_a_to_b, confidence_b_to_a, lift."""
    a, b, count = _pair_counts(baskets, min_count)
    n = len(baskets)
    item_count = baskets.item_counts
    return pd.DataFrame(
        {
            "item_a": baskets.items[a],
            "item_b": baskets.items[b],
            "count": count,
            "support": count / n,
            "confidence_a_to_b": count / item_count[a],
            "confidence_b_to_a": count / item_count[b],
            "lift": count * n / (item_count[a] * item_count[b].astype(float)),
        }
    ).sort_values(["lift", "count"], ascending=False, ignore_index=True)


def cross_sell(
    baskets: Baskets, min_count: int = 2, min_lift: float = 1.0, top: int = 5
) -> pd.DataFrame:
    """For each item, the `top` items bought with it, best lift first (then confidence):
    item, suggestion, count, confidence, lift, rank."""
    a, b, count = _pair_counts(baskets, min_count)
    item_count = baskets.item_counts
    n = len(baskets)
    source = np.concatenate([a, b])
    target = np.concatenate([b, a])
    both = np.concatenate([count, count]).astype(float)
    lift = both * n / (item_count[source] * item_count[target].astype(float))
    keep = lift >= min_lift
    source, target, both, lift = source[keep], target[keep], both[keep], lift[keep]
    confidence = both / item_count[source]
    order = np.lexsort((-confidence, -lift, source))
    source, target, both, lift, confidence = (
        v[order] for v in (source, target, both, lift, confidence)
    )
    rank = _rank_within(source)
    keep = rank < top
    return pd.DataFrame(
        {
            "item": cast(pd.Index, baskets.items[source[keep]]),  # pyright: ignore[reportArgumentType, reportCallIssue]
            "suggestion": cast(pd.Index, baskets.items[target[keep]]),  # pyright: ignore[reportArgumentType, reportCallIssue]
            "count": both[keep].astype(np.int64),
            "confidence": confidence[keep],
            "lift": lift[keep],
            "rank": rank[keep] + 1,
        }
    )


def association_rules(
    baskets: Baskets,
    min_support: float = 0.01,
    min_confidence: float = 0.2,
    min_lift: float = 1.0,
    max_size: int = 3,
) -> pd.DataFrame:
    """Rules antecedent -> consequent from frequent itemsets of 2..`max_size` (2 or 3) items,
    one item on the right: antecedent (tuple), consequent, count, support, confidence, lift."""
    if max_size not in (2, 3):
        raise ValueError(f"max_size must be 2 or 3, got {max_size}")
    if not 0 < min_support <= 1:
        raise ValueError(f"min_support must be in (0, 1], got {min_support}")
    n = len(baskets)
    if n == 0:
        return _empty_rules()
    min_count = max(1, ceil(min_support * n - 1e-9))
    item_count = baskets.item_counts
    a, b, pair_count = _pair_counts(baskets, min_count)

    antecedents = [a[:, None], b[:, None]]
    consequents = [b, a]
    counts = [pair_count, pair_count]
    antecedent_counts = [item_count[a], item_count[b]]
    if max_size == 3 and len(a):
        i, j, k, triple_count = _triple_counts(baskets, a, b, min_count)
        lookup = pd.Series(
            pair_count, index=pd.MultiIndex.from_arrays([a, b])
        )  # pair counts by (low, high) item code
        for ante, cons in (((i, j), k), ((i, k), j), ((j, k), i)):
            antecedents.append(np.column_stack(ante))
            consequents.append(cons)
            counts.append(triple_count)
            antecedent_counts.append(
                lookup.reindex(pd.MultiIndex.from_arrays(ante)).to_numpy(dtype=float)
            )

    rows: list[pd.DataFrame] = []
    for ante, cons, count, ante_count in zip(
        antecedents, consequents, counts, antecedent_counts, strict=True
    ):
        confidence = count / ante_count
        lift = confidence * n / item_count[cons]
        keep = (confidence >= min_confidence) & (lift >= min_lift)
        if keep.any():
            rows.append(
                pd.DataFrame(
                    {
                        "antecedent": [tuple(baskets.items[r]) for r in ante[keep]],
                        "consequent": baskets.items[cons[keep]],
                        "count": count[keep].astype(np.int64),
                        "support": count[keep] / n,
                        "confidence": confidence[keep],
                        "lift": lift[keep],
                    }
                )
            )
    if not rows:
        return _empty_rules()
    return pd.concat(rows, ignore_index=True).sort_values(
        ["lift", "confidence", "support"], ascending=False, ignore_index=True
    )


def bundle_suggestions(rules: pd.DataFrame, top: int = 20) -> pd.DataFrame:
    """Itemsets worth selling together, from `association_rules`: items (sorted tuple), count,
    support, and the best confidence and lift among the rules that make up the set."""
    if rules.empty:
        return pd.DataFrame(columns=["items", "count", "support", "confidence", "lift"])
    itemset = [
        tuple(sorted((*ante, cons), key=str))
        for ante, cons in zip(rules["antecedent"], rules["consequent"], strict=True)
    ]
    return (
        rules.assign(items=itemset)  # pyright: ignore[reportArgumentType]
        .groupby("items", sort=False)
        .agg(
            count=("count", "first"),
            support=("support", "first"),
            confidence=("confidence", "max"),
            lift=("lift", "max"),
        )
        .reset_index()
        .sort_values(["lift", "support"], ascending=False, ignore_index=True)
        .head(top)
    )


def recommend(
    baskets: Baskets,
    purchases: pd.DataFrame,
    customer_col: str,
    item_col: str,
    top: int = 5,
    min_count: int = 2,
    min_lift: float = 1.0,
    neighbours: int = 50,
    chunk: int = 50_000,
) -> pd.DataFrame:
    """Per customer, the `top` items they have not bought, scored by the sum over what they
    did buy of confidence(bought -> item), using only pairs with lift >= `min_lift`, each item's
    `neighbours` best partners, and customers in chunks of `chunk` so memory stays bounded:
    customer, item, score, rank."""
    affinity = _affinity(baskets, min_count, min_lift, neighbours)
    owned = purchases.loc[purchases[item_col].isin(baskets.items), [customer_col, item_col]]
    customer_codes, customers = pd.factorize(owned[customer_col])
    item_codes = baskets.items.get_indexer(owned[item_col])  # pyright: ignore[reportArgumentType]
    bought = sparse.csr_matrix(
        (np.ones(len(owned), dtype=np.float64), (customer_codes, item_codes)),
        shape=(len(customers), len(baskets.items)),
    )
    bought.sum_duplicates()
    bought.data[:] = 1.0

    frames: list[pd.DataFrame] = []
    for lo in range(0, len(customers), chunk):
        mine = bought[lo : lo + chunk]
        scores = (mine @ affinity).tocsr()
        scores = (scores - scores.multiply(mine)).tocsr()  # drop what they already own
        scores.eliminate_zeros()
        rows, cols, values = _top_per_row(scores, top)
        frames.append(
            pd.DataFrame(
                {
                    "customer": customers[lo + rows],
                    "item": baskets.items[cols],
                    "score": values,
                    "rank": _rank_within(rows) + 1,
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=["customer", "item", "score", "rank"])
    return pd.concat(frames, ignore_index=True)


def _affinity(
    baskets: Baskets, min_count: int, min_lift: float, neighbours: int
) -> sparse.csr_matrix:
    """items x items, confidence(i -> j) where the pair qualifies, top `neighbours` per row."""
    a, b, count = _pair_counts(baskets, min_count)
    item_count = baskets.item_counts.astype(float)
    n = len(baskets)
    source = np.concatenate([a, b])
    target = np.concatenate([b, a])
    both = np.concatenate([count, count]).astype(float)
    lift = both * n / (item_count[source] * item_count[target])
    keep = lift >= min_lift
    matrix = sparse.csr_matrix(
        (both[keep] / item_count[source[keep]], (source[keep], target[keep])),
        shape=(len(baskets.items), len(baskets.items)),
    )
    rows, cols, values = _top_per_row(matrix, neighbours)
    return sparse.csr_matrix((values, (rows, cols)), shape=matrix.shape)


def _pair_counts(baskets: Baskets, min_count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(item a, item b, baskets holding both) for a < b and count >= min_count."""
    if min_count < 1:
        raise ValueError(f"min_count must be >= 1, got {min_count}")
    frequent = np.flatnonzero(baskets.item_counts >= min_count)
    x = baskets.matrix[:, frequent]
    x = x[np.diff(x.indptr) >= 2]  # single-item baskets pair with nothing
    together = sparse.triu(x.T @ x, k=1).tocoo()
    keep = together.data >= min_count
    return frequent[together.row[keep]], frequent[together.col[keep]], together.data[keep]


def _triple_counts(
    baskets: Baskets, a: np.ndarray, b: np.ndarray, min_count: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Frequent triples i < j < k grown from frequent pairs (i, j) = (a, b)."""
    columns = baskets.matrix.tocsc()
    holds_pair = columns[:, a].multiply(columns[:, b]).tocsc()  # baskets x pairs
    with_third = (holds_pair.T @ baskets.matrix).tocoo()  # pairs x items
    keep = (with_third.data >= min_count) & (with_third.col > b[with_third.row])
    pair = with_third.row[keep]
    return a[pair], b[pair], with_third.col[keep], with_third.data[keep]


def _top_per_row(matrix: sparse.csr_matrix, top: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, column, value) of each row's `top` largest entries, rows ascending, best first."""
    matrix = matrix.tocsr()
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))  # pyright: ignore[reportOptionalSubscript]
    order = np.lexsort((matrix.indices, -matrix.data, rows))  # pyright: ignore[reportOperatorIssue]
    rows, cols, values = rows[order], matrix.indices[order], matrix.data[order]
    keep = _rank_within(rows) < top
    return rows[keep], cols[keep], values[keep]


def _rank_within(groups: np.ndarray) -> np.ndarray:
    """0-based position of each element within its run of equal, contiguous `groups` values."""
    if len(groups) == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    lengths = np.diff(np.r_[starts, len(groups)])
    return np.arange(len(groups)) - np.repeat(starts, lengths)


def _empty_rules() -> pd.DataFrame:
    return pd.DataFrame(
        columns=["antecedent", "consequent", "count", "support", "confidence", "lift"]
    )
