"""Checks as data, PgHero-style: each a name, the function that reads its figure from the part's
collected data, a warn and a critical threshold, and so a state: ok, warn, critical, or
unavailable (with the reason). Thresholds are defaults here; the `monitoring.thresholds`
setting overrides them per check without a deploy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

STATES = ("ok", "warn", "critical", "unavailable")
RANK = {"unavailable": -1, "ok": 0, "warn": 1, "critical": 2}


@dataclass(frozen=True)
class Measurement:
    value: float | None
    summary: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    state: str | None = None  # a check may name its state itself (e.g. "no worker polls")
    unavailable: str | None = None  # why the figure could not be read
    summary_cs: str | None = None  # the same in Czech, for the page in a Czech profile
    unavailable_cs: str | None = None


@dataclass(frozen=True)
class Check:
    name: str
    part: str
    description: str
    measure: Callable[[dict[str, Any], dict[str, float]], Measurement]
    warn: float | None = None
    critical: float | None = None
    unit: str = ""
    lower_is_worse: bool = False  # hit rates: below the threshold is bad
    description_cs: str = ""


@dataclass(frozen=True)
class CheckResult:
    name: str
    part: str
    description: str
    state: str
    value: float | None
    unit: str
    warn: float | None
    critical: float | None
    summary: str
    rows: list[dict[str, Any]]
    description_cs: str = ""
    summary_cs: str | None = None  # None: the page shows `summary`


def cz(value: float, digits: int = 1) -> str:
    """A figure as Czech writes it: space between thousands, decimal comma."""
    return f"{value:,.{digits}f}".replace(",", "\u00a0").replace(".", ",")


def state_of(value: float | None, warn: float | None, critical: float | None, lower_is_worse: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "ok"

    def crossed(limit: float | None) -> bool:
        return limit is not None and (value <= limit if lower_is_worse else value >= limit)

    if crossed(critical):
        return "critical"
    if crossed(warn):
        return "warn"
    return "ok"


def thresholds_for(check: Check, overrides: dict[str, Any]) -> dict[str, float]:
    mine = overrides.get(check.name) or {}
    out = {"warn": check.warn, "critical": check.critical}
    for key in ("warn", "critical"):
        if key in mine:
            out[key] = float(mine[key]) if mine[key] is not None else None
    return {k: v for k, v in out.items() if v is not None}


def evaluate(check: Check, data: dict[str, Any] | None, overrides: dict[str, Any], problem: str | None = None) -> CheckResult:
    """Measure one check on its part's data; a part that could not be collected makes it unavailable."""
    limits = thresholds_for(check, overrides)
    warn, critical = limits.get("warn"), limits.get("critical")
    cs = check.description_cs
    if data is None:
        return CheckResult(check.name, check.part, check.description, "unavailable", None, check.unit,
                           warn, critical, problem or "not collected", [], cs,
                           f"nepodařilo se načíst: {problem}" if problem else "nenačteno")
    try:
        m = check.measure(data, limits)
    except KeyError as exc:
        return CheckResult(check.name, check.part, check.description, "unavailable", None, check.unit,
                           warn, critical, f"missing figure {exc}", [], cs, f"chybí údaj {exc}")
    if m.unavailable:
        return CheckResult(check.name, check.part, check.description, "unavailable", None, check.unit,
                           warn, critical, m.unavailable, [], cs, m.unavailable_cs)
    state = m.state or state_of(m.value, warn, critical, check.lower_is_worse)
    value = None if m.value is None or not math.isfinite(m.value) else round(float(m.value), 3)
    return CheckResult(check.name, check.part, check.description, state, value, check.unit,
                       warn, critical, m.summary, m.rows, cs, m.summary_cs)


def worst(states: list[str]) -> str:
    known = [s for s in states if s != "unavailable"]
    return max(known, key=RANK.__getitem__) if known else "unavailable"


@dataclass(frozen=True)
class Context:
    """What every part's `collect` gets: Temporal (None when unreachable) and the moment measured."""

    temporal: Any  # temporalio.client.Client | None
    now: Any  # datetime (UTC)
    temporal_problem: str | None = None
    details: bool = True  # the page wants lists; alert evaluation only needs the figures
