"""Which suppliers to buy each variant from: one mixed-integer program over all variants.

Per offer (variant × supplier) the program chooses a whole number of packs and whether the
offer is used at all (a binary, which carries the fixed order cost and makes the MOQ a
semi-continuous bound: either nothing or at least the MOQ). Per supplier an optional binary
carries a shared shipping cost. The objective is landed cost plus a risk cost: every unit
bought from a supplier carries its share of the safety stock that supplier's lead time and its
variability would demand, priced at the variant's stock-out penalty per unit of safety stock,
plus the demand an expected late delivery leaves uncovered (`late_days`: the offer's learnt
probability of being late × how late it then is, inventory.supplier_risk) at the same penalty.
So a cheap supplier with an erratic record loses to a reliable one once the gap in price is
smaller than the risk.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array
from scipy.stats import norm

NEED_COLUMNS = ("variant_id", "quantity", "mean_demand", "sd_demand", "stockout_penalty")
OFFER_COLUMNS = ("variant_id", "supplier_id", "unit_price", "lead_time_mean", "lead_time_sd")
OFFER_DEFAULTS = {
    "order_cost": 0.0,
    "moq": 0.0,
    "pack_size": 1.0,
    "capacity": math.inf,
    "late_days": 0.0,
}


class PurchasingInfeasible(ValueError):
    """No set of orders meets every need within the constraints; the message says which."""


@dataclass(frozen=True)
class PurchasePlan:
    orders: pd.DataFrame  # one row per used offer
    shortages: pd.Series  # units left uncovered per variant (only with a shortage cost)
    purchase_cost: float
    fixed_cost: float  # order costs per offer plus shipping per supplier
    risk_cost: float
    shortage_cost: float

    @property
    def total_cost(self) -> float:
        return self.purchase_cost + self.fixed_cost + self.risk_cost + self.shortage_cost


def _checked(needs: pd.DataFrame, offers: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    for frame, columns, what in ((needs, NEED_COLUMNS, "needs"), (offers, OFFER_COLUMNS, "offers")):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ValueError(f"{what} lacks columns {missing}; expected at least {list(columns)}")
    if needs.empty:
        raise ValueError("needs is empty: nothing to buy")
    if needs["variant_id"].duplicated().any():
        dup = needs.loc[needs["variant_id"].duplicated(), "variant_id"].tolist()
        raise ValueError(f"needs lists variants more than once: {dup}")
    offers = offers.assign(**{c: offers.get(c, v) for c, v in OFFER_DEFAULTS.items()})
    offers[list(OFFER_DEFAULTS)] = offers[list(OFFER_DEFAULTS)].fillna(OFFER_DEFAULTS)
    numeric = {
        "needs": (needs, [c for c in NEED_COLUMNS if c != "variant_id"]),
        "offers": (offers, ["unit_price", "lead_time_mean", "lead_time_sd", *OFFER_DEFAULTS]),
    }
    for what, (frame, columns) in numeric.items():
        values = frame[columns].to_numpy(dtype=float)
        if np.isnan(values).any() or (values < 0).any():
            raise ValueError(f"{what} columns {columns} must be numbers >= 0")
    if (needs["quantity"] <= 0).any() or (offers["pack_size"] <= 0).any():
        raise ValueError("needs.quantity and offers.pack_size must be > 0")
    unknown = set(offers["variant_id"]) - set(needs["variant_id"])
    offers = offers[~offers["variant_id"].isin(unknown)].reset_index(drop=True)
    without = set(needs["variant_id"]) - set(offers["variant_id"])
    if without:
        raise PurchasingInfeasible(f"no supplier offers variants {sorted(without, key=str)}")
    return needs.reset_index(drop=True), offers


def _risk_per_unit(needs: pd.DataFrame, offers: pd.DataFrame, service_level: float) -> np.ndarray:
    """Stock-out penalty × (safety stock this supplier's lead time demands + demand during its
    expected lateness), per unit bought."""
    need = needs.set_index("variant_id").loc[offers["variant_id"]]
    level = need.get("service_level", service_level)
    z = norm.ppf(np.asarray(level, dtype=float))
    d, sd = need["mean_demand"].to_numpy(float), need["sd_demand"].to_numpy(float)
    lead, sd_lead = offers["lead_time_mean"].to_numpy(float), offers["lead_time_sd"].to_numpy(float)
    safety = np.maximum(z, 0.0) * np.sqrt(lead * sd**2 + d**2 * sd_lead**2)
    safety = safety + d * offers["late_days"].to_numpy(float)
    return need["stockout_penalty"].to_numpy(float) * safety / need["quantity"].to_numpy(float)


class _Program:
    """The mixed-integer program: variables, constraint rows, costs and spend per variable.

    Variables, in order: packs per offer | offer used | supplier shipped | shortage per variant.
    """

    def __init__(
        self,
        needs: pd.DataFrame,
        offers: pd.DataFrame,
        shipping: Mapping[object, float],
        shortage_cost: float | None,
        service_level: float,
    ) -> None:
        n_var, n_off = len(needs), len(offers)
        self.var_of = pd.Index(needs["variant_id"]).get_indexer(offers["variant_id"])  # pyright: ignore[reportArgumentType]
        need = needs["quantity"].to_numpy(float)
        self.pack = offers["pack_size"].to_numpy(float)
        moq = offers["moq"].to_numpy(float)
        # Nobody buys more from one offer than the need (or the MOQ) rounded up to packs.
        wanted = np.ceil(np.maximum(need[self.var_of], moq) / self.pack) * self.pack
        capacity = np.minimum(offers["capacity"].to_numpy(float), wanted)
        self.max_packs = np.floor(capacity / self.pack + 1e-9)
        self.usable = (self.max_packs > 0) & (self.max_packs * self.pack >= moq)
        self.reach = np.bincount(
            self.var_of, np.where(self.usable, self.max_packs * self.pack, 0.0), minlength=n_var
        )
        self.charged = [s for s in pd.unique(offers["supplier_id"]) if shipping.get(s, 0.0) > 0]
        n_sup = len(self.charged)
        n_short = n_var if shortage_cost is not None else 0
        self.n_off, self.n_sup, self.n_short = n_off, n_sup, n_short
        self.size = 2 * n_off + n_sup + n_short
        self.price = offers["unit_price"].to_numpy(float)
        self.risk = _risk_per_unit(needs, offers, service_level)
        fixed = offers["order_cost"].to_numpy(float)
        self.ship = np.array([shipping[s] for s in self.charged], dtype=float)
        short = np.full(n_short, shortage_cost or 0.0)
        self.cost = np.concatenate([(self.price + self.risk) * self.pack, fixed, self.ship, short])
        self.spend = np.concatenate([self.price * self.pack, fixed, self.ship, np.zeros(n_short)])

        rows: list[list[tuple[int, float]]] = []
        lower: list[float] = []
        upper: list[float] = []
        for i in range(n_var):
            cover = [(int(j), self.pack[j]) for j in np.flatnonzero(self.var_of == i)]
            if n_short:
                cover.append((2 * n_off + n_sup + i, 1.0))
            rows.append(cover)
            lower.append(need[i])
            upper.append(math.inf)
        for j in range(n_off):
            rows += [
                [(j, self.pack[j]), (n_off + j, -moq[j])],
                [(j, 1.0), (n_off + j, -self.max_packs[j])],
            ]
            lower += [0.0, -math.inf]  # at least the MOQ when used; nothing unless used
            upper += [math.inf, 0.0]
        column = {s: 2 * n_off + k for k, s in enumerate(self.charged)}
        for j, supplier in enumerate(offers["supplier_id"]):
            if supplier in column:
                rows.append([(n_off + j, 1.0), (column[supplier], -1.0)])
                lower.append(-math.inf)
                upper.append(0.0)
        self.rows, self.lower, self.upper = rows, lower, upper
        self.bounds = Bounds(
            np.zeros(self.size),  # pyright: ignore[reportArgumentType]
            np.concatenate(  # pyright: ignore[reportArgumentType]
                [self.max_packs, self.usable.astype(float), np.ones(n_sup), need[:n_short]]
            ),
        )
        self.integrality = np.concatenate(
            [np.ones(2 * n_off + n_sup, dtype=np.int_), np.zeros(n_short, dtype=np.int_)]
        )

    def solve(self, objective: np.ndarray, budget: float | None, time_limit: float) -> Any:
        rows, lower, upper = list(self.rows), list(self.lower), list(self.upper)
        if budget is not None:
            rows.append([(k, v) for k, v in enumerate(self.spend) if v])
            lower.append(-math.inf)
            upper.append(float(budget))
        r = [i for i, row in enumerate(rows) for _ in row]
        c = [col for row in rows for col, _ in row]
        v = [val for row in rows for _, val in row]
        matrix = coo_array((v, (r, c)), shape=(len(rows), self.size)).tocsr()
        return milp(
            objective,
            constraints=LinearConstraint(matrix, lower, upper),  # pyright: ignore[reportArgumentType]
            integrality=self.integrality,
            bounds=self.bounds,
            options={"time_limit": time_limit},
        )


def plan_purchases(
    needs: pd.DataFrame,
    offers: pd.DataFrame,
    *,
    budget: float | None = None,
    shipping_costs: Mapping[object, float] | None = None,
    shortage_cost: float | None = None,
    service_level: float = 0.95,
    time_limit: float = 30.0,
) -> PurchasePlan:
    """Cheapest orders covering every variant's `quantity`, by landed cost and supplier risk.

    `needs`: variant_id, quantity (units to buy), mean_demand and sd_demand (per period),
    stockout_penalty (money per unit of safety stock), optional service_level.
    `offers`: variant_id, supplier_id, unit_price, lead_time_mean, lead_time_sd (periods),
    optional order_cost (fixed per used offer), moq, pack_size, capacity (units), late_days
    (expected days late per delivery, from the offer's on-time record).
    `shipping_costs` charge once per supplier used; `budget` caps purchase + fixed costs over all
    variants. With `shortage_cost` (per unit) needs may be left partly uncovered; without it a
    plan that cannot cover everything raises PurchasingInfeasible saying why.
    """
    if not 0 < service_level < 1:
        raise ValueError(f"service_level must be strictly between 0 and 1, got {service_level}")
    if shortage_cost is not None and not shortage_cost >= 0:
        raise ValueError(f"shortage_cost must be >= 0, got {shortage_cost}")
    needs, offers = _checked(needs, offers)
    shipping = dict(shipping_costs or {})
    unknown = set(shipping) - set(offers["supplier_id"])
    if unknown:
        raise ValueError(
            f"shipping_costs name suppliers without offers: {sorted(unknown, key=str)}"
        )
    program = _Program(needs, offers, shipping, shortage_cost, service_level)
    gap = needs["quantity"].to_numpy(float) - program.reach
    if shortage_cost is None and (gap > 1e-9).any():
        rows = [
            f"{needs['variant_id'][i]!r} needs {needs['quantity'][i]:g}, offers reach "
            f"{program.reach[i]:g}"
            for i in np.flatnonzero(gap > 1e-9)
        ]
        raise PurchasingInfeasible(
            "capacity and MOQs cannot cover: " + "; ".join(rows) + " (add suppliers, raise "
            "capacity or pass shortage_cost to allow partial cover)"
        )
    result = program.solve(program.cost, budget, time_limit)
    if result.x is None:
        if budget is not None and result.status == 2:
            least = program.solve(program.spend, None, time_limit)
            raise PurchasingInfeasible(
                f"budget {budget:,.2f} cannot cover the needs: the least any plan can spend is "
                f"{least.fun:,.2f}; raise the budget or pass shortage_cost to buy what fits"
            )
        raise PurchasingInfeasible(f"no purchase plan found: {result.message}")
    return _plan(program, needs, offers, result.x, shortage_cost)


def _plan(
    program: _Program,
    needs: pd.DataFrame,
    offers: pd.DataFrame,
    solution: np.ndarray,
    shortage_cost: float | None,
) -> PurchasePlan:
    n_off, n_sup = program.n_off, program.n_sup
    packs = np.round(solution[:n_off])
    quantity = packs * program.pack
    orders = offers.assign(
        packs=packs.astype(int),
        quantity=quantity,
        purchase_cost=quantity * program.price,
        risk_cost=quantity * program.risk,
    )[packs > 0]
    orders = orders[
        [
            "variant_id",
            "supplier_id",
            "packs",
            "quantity",
            "unit_price",
            "purchase_cost",
            "order_cost",
            "risk_cost",
            "lead_time_mean",
            "lead_time_sd",
        ]
    ].reset_index(drop=True)
    short = solution[2 * n_off + n_sup :] if program.n_short else np.zeros(len(needs))
    shortages = pd.Series(short, index=needs["variant_id"], name="shortage")
    shipped = np.round(solution[2 * n_off : 2 * n_off + n_sup]) > 0
    return PurchasePlan(
        orders=orders,
        shortages=shortages,
        purchase_cost=float(orders["purchase_cost"].sum()),
        fixed_cost=float(orders["order_cost"].sum() + program.ship[shipped].sum()),
        risk_cost=float(orders["risk_cost"].sum()),
        shortage_cost=float(short.sum() * (shortage_cost or 0.0)),
    )
