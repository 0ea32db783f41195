# pyright: strict
"""Why a sales anomaly happened: the dimensions whose slices explain its deviation, ranked.

No I/O. The method is Adtributor's (Bhagwan et al., NSDI 2014). The day's expected sales (the
forecast mean) are split over each dimension's values in the shares they had in the
`BASELINE_DAYS` before; each value's *explanatory power* is its part of the deviation
(actual − expected of the slice over actual − expected in all), its *surprise* the
Jensen–Shannon divergence between its expected and actual share. Per dimension the values are
taken by surprise until they explain `EXPLAINED` of the deviation (each at least
`MIN_SHARE`); the dimensions that get there are ranked by their summed surprise, the top
`KEEP` kept with a plain sentence in English and Czech. A dimension whose mix is as usual
(surprise below `MIN_SURPRISE`) is no explanation: an anomaly may have none.

The slices: the order's channel and billing country, the item's unit price against the usual
(median of the baseline: below, usual, above), whether the order carried a discount, and one
customer against everyone else (the day's largest buyer: a single big order shows there, many
new customers do not). A stock-out is not a slice of what sold: the units the day could not sell
for want of stock (the expected sales above the stock it opened with) are its explanatory
power, and how little of the expected demand the stock could meet is its surprise.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

BASELINE_DAYS = 28
EXPLAINED = 0.67  # Adtributor's TEP: a dimension must explain two thirds of the deviation
MIN_SHARE = 0.1  # Adtributor's TEEP: every value taken explains at least a tenth
KEEP = 3
# a dimension whose mix on the day is as usual (summed surprise below this, in nats) explains
# nothing in particular: every slice just grew or shrank with the total
MIN_SURPRISE = 0.01
PRICE_BAND = 0.03  # a unit price within 3 % of the usual one is the usual price
SMOOTH = 0.5  # units added to every baseline value: an unseen value is not impossible
LINE_COLUMNS = (
    "variant_code",
    "day",
    "quantity",
    "channel",
    "region",
    "customer",
    "unit_price",
    "promoted",
)


@dataclass(frozen=True)
class Cause:
    dimension: str  # channel | region | price | promotion | customer | stock_out
    value: str
    explained: float  # share of the deviation the chosen values account for
    surprise: float
    actual: float  # units of the chosen values on the day
    expected: float
    sentence: str
    sentence_cs: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "dimension": self.dimension,
            "value": self.value,
            "explained": round(self.explained, 3),
            "surprise": round(self.surprise, 4),
            "actual": round(self.actual, 2),
            "expected": round(self.expected, 2),
            "sentence": self.sentence,
            "sentence_cs": self.sentence_cs,
        }


def _js(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Per value, its term of the Jensen–Shannon divergence between shares p and q (nats)."""
    m = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(p > 0, p * np.log(p / m), 0.0)
        b = np.where(q > 0, q * np.log(q / m), 0.0)
    return 0.5 * (a + b)


def _slices(lines: pd.DataFrame, usual_price: float, top_customer: str | None) -> pd.DataFrame:
    """The lines with one label column per dimension (DIMENSIONS)."""
    seen = Seen(usual_price, top_customer)
    return pd.DataFrame(
        {
            "quantity": lines["quantity"].astype(float),
            **{d.name: d.label(lines, seen) for d in DIMENSIONS},
        }
    )


def _dimension(
    name: str, day: pd.DataFrame, base: pd.DataFrame, expected: float, actual: float
) -> tuple[list[str], float, float, float, float] | None:
    """(values, explanatory power, surprise, actual, expected units) of the values Adtributor
    takes in this dimension, or None when they do not explain enough of the deviation."""
    delta = actual - expected
    now = day.groupby(name)["quantity"].sum()
    before = base.groupby(name)["quantity"].sum()
    values = now.index.union(before.index)
    before = before.reindex(values, fill_value=0.0) + SMOOTH
    p = (before / before.sum()).to_numpy(float)
    a = now.reindex(values, fill_value=0.0).to_numpy(float)
    f = expected * p
    q = a / actual if actual > 0 else np.zeros_like(a)
    power = (a - f) / delta
    surprise = _js(p, q)
    chosen: list[int] = []
    total = 0.0
    for k in np.argsort(-surprise, kind="stable"):
        if power[k] < MIN_SHARE:
            continue
        chosen.append(int(k))
        total += float(power[k])
        if total >= EXPLAINED:
            break
    if total < EXPLAINED:
        return None
    return (
        [str(values[k]) for k in chosen],
        total,
        float(surprise[chosen].sum()),
        float(a[chosen].sum()),
        float(f[chosen].sum()),
    )


def explain(
    sales: float,
    expected: float,
    day_lines: pd.DataFrame,
    baseline: pd.DataFrame,
    opening_stock: float | None = None,
) -> list[Cause]:
    """The ranked causes of one variant's anomalous day: `sales` against `expected` (the
    forecast mean); `day_lines` and `baseline` are its order lines (LINE_COLUMNS) on the day
    and in the days before; `opening_stock` the stock it started the day with, if known."""
    delta = sales - expected
    if abs(delta) < 1e-9:
        return []
    usual = float(baseline["unit_price"].median()) if baseline["unit_price"].notna().any() else 0.0
    top = _top_customer(day_lines)
    day, base = _slices(day_lines, usual, top), _slices(baseline, usual, top)
    found: list[Cause] = []
    for dim in DIMENSIONS:
        if dim.priced and usual <= 0:
            continue  # no prices recorded: nothing to compare
        taken = _dimension(dim.name, day, base, expected, sales)
        if taken is None or taken[2] < MIN_SURPRISE:
            continue
        values, power, surprise, actual, exp = taken
        facts = Facts(dim.name, values, power, actual, exp, delta, _price(day_lines), usual)
        found.append(
            Cause(
                dim.name,
                ", ".join(values),
                power,
                surprise,
                actual,
                exp,
                dim.say(facts),
                dim.say_cs(facts),
            )
        )
    stock_out = _stock_out(sales, expected, opening_stock)
    if stock_out is not None:
        found.append(stock_out)
    found.sort(key=lambda c: (-c.surprise, -c.explained, c.dimension))
    return found[:KEEP]


def _top_customer(lines: pd.DataFrame) -> str | None:
    known = lines[lines["customer"].notna()]
    if known.empty:
        return None
    return str(known.groupby("customer")["quantity"].sum().idxmax())


def _price(lines: pd.DataFrame) -> float:
    price = lines["unit_price"].astype(float)
    return float(price.median()) if price.notna().any() else math.nan


def _stock_out(sales: float, expected: float, opening: float | None) -> Cause | None:
    """A drop the day's opening stock explains: it could not sell what it did not have."""
    if opening is None or np.isnan(opening) or sales >= expected:
        return None
    missing = expected - max(opening, 0.0)
    if missing <= 0:
        return None
    power = min(missing / (expected - sales), 1.0)
    if power < EXPLAINED:
        return None
    met = min(max(opening, 0.0) / expected, 1.0)
    surprise = float(_js(np.array([1.0, 0.0]), np.array([met, 1 - met])).sum())
    units = max(opening, 0.0)
    return Cause(
        "stock_out",
        "stock",
        power,
        surprise,
        units,
        expected,
        f"Stock-out: the day opened with {units:g} units in stock against {expected:.1f} "
        f"expected, so {missing:.0f} of the {expected - sales:.0f} missing sales could not "
        "happen.",
        f"Výpadek zásoby: den začal se zásobou {_cs(units)} ks proti očekávaným "
        f"{_cs(expected)} ks, takže {_cs(missing, 0)} z {_cs(expected - sales, 0)} chybějících "
        "prodejů nemohlo nastat.",
    )


@dataclass(frozen=True)
class Facts:
    dimension: str
    values: list[str]
    power: float
    actual: float
    expected: float
    delta: float
    price: float
    usual: float

    @property
    def share(self) -> str:
        return f"{min(self.power, 1.0) * 100:.0f} %"

    @property
    def change(self) -> str:
        return f"{self.actual - self.expected:+.0f}"


Sentences = tuple[Callable[[Facts], str], Callable[[Facts], str]]  # English, Czech


@dataclass(frozen=True)
class Seen:
    """What a dimension's labels compare a line with: the baseline's usual unit price and the
    day's largest buyer."""

    usual_price: float
    top_customer: str | None


Labels = pd.Series | np.ndarray  # one label per order line
Labeller = Callable[[pd.DataFrame, Seen], Labels]


@dataclass(frozen=True)
class Dimension:
    """One way to slice the order lines: its label per line and its sentences."""

    name: str
    label: Labeller
    say: Callable[[Facts], str]
    say_cs: Callable[[Facts], str]
    priced: bool = False  # compares unit prices: skipped when the baseline recorded none


def _cs(value: float, digits: int = 1) -> str:
    text = f"{value:,.{digits}f}".replace(",", "\u00a0").replace(".", ",")
    return text.rstrip("0").rstrip(",") if digits and "," in text else text


def _direction(f: Facts) -> str:
    return "above" if f.delta > 0 else "below"


def _direction_cs(f: Facts) -> str:
    return "nad" if f.delta > 0 else "pod"


def _sold(noun: str, noun_cs: str, against_forecast: bool) -> Sentences:
    """The sentences of a dimension that labels lines by a column of the order (channel,
    region): the values' units against the expected and their share of the deviation."""

    def say(f: Facts) -> str:
        where = f" {_direction(f)} the forecast" if against_forecast else ""
        return (
            f"{noun} {', '.join(f.values)}: {f.actual:g} units sold against {f.expected:.1f} "
            f"expected ({f.change}), {f.share} of the deviation{where}."
        )

    def say_cs(f: Facts) -> str:
        where = f" {_direction_cs(f)} předpovědí" if against_forecast else ""
        return (
            f"{noun_cs} {', '.join(f.values)}: prodáno {_cs(f.actual)} ks proti očekávaným "
            f"{_cs(f.expected)} ks ({f.change}), {f.share} odchylky{where}."
        )

    return say, say_cs


def _price_text(f: Facts) -> str:
    change = (f.price / f.usual - 1) * 100 if f.usual > 0 and not math.isnan(f.price) else 0.0
    return (
        f"Price change: sold at {f.price:.2f} against the usual {f.usual:.2f} ({change:+.0f} %); "
        f"sales at the {', '.join(f.values)} price explain {f.share} of the deviation."
    )


def _price_cs(f: Facts) -> str:
    change = (f.price / f.usual - 1) * 100 if f.usual > 0 and not math.isnan(f.price) else 0.0
    band = {"below": "nižší", "usual": "obvyklé", "above": "vyšší"}
    named = ", ".join(band.get(v, v) for v in f.values)
    return (
        f"Změna ceny: prodáváno za {_cs(f.price, 2)} místo obvyklých {_cs(f.usual, 2)} "
        f"({change:+.0f} %); prodeje za {named} cenu vysvětlují {f.share} odchylky."
    )


def _promotion(f: Facts) -> str:
    what = "with a discount" if "yes" in f.values else "without a discount"
    return (
        f"Promotion: orders {what} brought {f.actual:g} units against {f.expected:.1f} "
        f"expected, {f.share} of the deviation."
    )


def _promotion_cs(f: Facts) -> str:
    what = "se slevou" if "yes" in f.values else "bez slevy"
    return (
        f"Akce: objednávky {what} přinesly {_cs(f.actual)} ks proti očekávaným "
        f"{_cs(f.expected)} ks, {f.share} odchylky."
    )


def _customer(f: Facts) -> str:
    if "others" in f.values:
        return (
            f"Customers other than the day's largest: {f.actual:g} units against "
            f"{f.expected:.1f} expected, {f.share} of the deviation."
        )
    return (
        f"A single customer ({f.values[0]}) bought {f.actual:g} units, "
        f"{f.share} of the deviation from the forecast."
    )


def _customer_cs(f: Facts) -> str:
    if "others" in f.values:
        return (
            f"Ostatní zákazníci než největší kupující dne: {_cs(f.actual)} ks proti "
            f"očekávaným {_cs(f.expected)} ks, {f.share} odchylky."
        )
    return (
        f"Jediný zákazník ({f.values[0]}) koupil {_cs(f.actual)} ks, {f.share} odchylky "
        "od předpovědi."
    )


def _column(name: str) -> Labeller:
    """Labels from a column of the order (unknown where it is empty)."""

    def label(lines: pd.DataFrame, seen: Seen) -> Labels:
        return lines[name].fillna("unknown").astype(str)

    return label


def _price_band(lines: pd.DataFrame, seen: Seen) -> Labels:
    """below | usual | above the usual price (usual where the line has none)."""
    price = lines["unit_price"].astype(float)
    usual = seen.usual_price
    ratio = price / usual if usual > 0 else pd.Series(1.0, index=lines.index)
    band = np.select([ratio < 1 - PRICE_BAND, ratio > 1 + PRICE_BAND], ["below", "above"], "usual")
    return np.where(price.isna(), "usual", band)


def _promoted(lines: pd.DataFrame, seen: Seen) -> Labels:
    return np.where(lines["promoted"].fillna(False).astype(bool), "yes", "no")


def _top_or_others(lines: pd.DataFrame, seen: Seen) -> Labels:
    top = seen.top_customer
    return np.where(lines["customer"].astype(object) == top, str(top), "others")


# The dimensions a day's lines are sliced by, in the order they are tried (ties rank by name).
DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("channel", _column("channel"), *_sold("Channel", "Kanál", against_forecast=True)),
    Dimension("region", _column("region"), *_sold("Region", "Oblast", against_forecast=False)),
    Dimension("price", _price_band, _price_text, _price_cs, priced=True),
    Dimension("promotion", _promoted, _promotion, _promotion_cs),
    Dimension("customer", _top_or_others, _customer, _customer_cs),
)


def explain_anomalies(
    anomalies: pd.DataFrame, lines: pd.DataFrame, opening_stock: pd.Series | None = None
) -> pd.Series:
    """Causes (a list of dicts) per sales anomaly row of `anomalies` (variant_code, day, sales,
    expected), from the variants' order `lines` (LINE_COLUMNS, `day` a date) and the stock each
    (variant_code, day) opened with."""
    out: list[list[dict[str, Any]]] = []
    by_variant = dict(tuple(lines.groupby("variant_code"))) if not lines.empty else {}
    empty = pd.DataFrame(columns=list(LINE_COLUMNS))
    for code, day, sales, expected in zip(
        anomalies["variant_code"],
        anomalies["day"],
        anomalies["sales"],
        anomalies["expected"],
        strict=True,
    ):
        mine = by_variant.get(code, empty)
        days = pd.to_datetime(mine["day"])
        at = pd.Timestamp(day)
        base = mine[(days < at) & (days >= at - pd.Timedelta(days=BASELINE_DAYS))]
        opening = opening_stock.get((code, day)) if opening_stock is not None else None
        causes = explain(
            float(sales),
            float(expected),
            mine[days == at],
            base,
            None if opening is None else float(opening),
        )
        out.append([c.as_dict() for c in causes])
    return pd.Series(out, index=anomalies.index, dtype=object)


def opening_stocks(anomalies: pd.DataFrame, stock: pd.DataFrame) -> pd.Series:
    """The stock each anomaly's (variant_code, day) opened with: the variant's last stock
    history row before the day (rows are written on change), where there is one."""
    if anomalies.empty or stock.empty:
        return pd.Series(dtype=float)
    rows = stock.assign(day=pd.to_datetime(stock["day"])).sort_values("day")
    wanted = anomalies[["variant_code", "day"]].drop_duplicates()
    wanted = wanted.assign(at=pd.to_datetime(wanted["day"]) - pd.Timedelta(days=1))
    found = pd.merge_asof(
        wanted.sort_values("at"),
        rows.rename(columns={"day": "at"}),
        on="at",
        by="variant_code",
        direction="backward",
    ).dropna(subset=["stock"])
    return pd.Series(
        found["stock"].to_numpy(float),
        index=pd.MultiIndex.from_arrays([found["variant_code"], found["day"]]),
    )
