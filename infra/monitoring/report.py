"""The monitoring report: every part collected concurrently, every check evaluated on it.

A part that cannot be collected (Temporal down, a query that failed) makes its checks
`unavailable` with the reason and does not take the rest of the page with it. The API page and
the alerting workflow call the same `build_report`, so what alerts is what the page shows.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from db.app_settings import get_setting
from db.engine import session_factory
from infra.monitoring import caches, channels, database, errors, performance, queues, workflows
from infra.monitoring.checks import Check, CheckResult, Context, Measurement, evaluate, worst

log = logging.getLogger(__name__)

EVALUATION_STALE_SECONDS = 300


async def _monitoring(ctx: Context) -> dict[str, Any]:
    async with session_factory()() as session:
        last = (await session.execute(text("SELECT max(checked_at) FROM monitoring_check_states"))).scalar()
        alerts = (
            await session.execute(
                text(
                    "SELECT id, check_name, summary, value, opened_at, resolved_at FROM monitoring_alerts "
                    "WHERE resolved_at IS NULL OR resolved_at >= :since ORDER BY opened_at DESC LIMIT 50"
                ),
                {"since": ctx.now.replace(hour=0, minute=0, second=0, microsecond=0)},
            )
        ).mappings().all()
    return {
        "last_evaluation": last.isoformat() if last else None,
        "evaluation_age_s": round((ctx.now - last).total_seconds(), 1) if last else None,
        "alerts": [{k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in a.items()} for a in alerts],
    }


def _evaluated(data: dict[str, Any], _: dict[str, float]) -> Measurement:
    age = data["evaluation_age_s"]
    if age is None:
        return Measurement(None, "the monitoring checks workflow has not run yet: no alerts are raised", state="warn",
                           summary_cs="workflow kontrol monitoringu zatím neběžel: žádná upozornění nevznikají")
    return Measurement(age, f"checks last evaluated for alerts {age:.0f} s ago",
                       summary_cs=f"kontroly naposledy vyhodnoceny před {age:.0f} s")


MONITORING_CHECKS = [
    Check("alerting_evaluated", "monitoring", "The schedule that evaluates checks and raises alerts is running.",
          _evaluated, warn=EVALUATION_STALE_SECONDS, critical=4 * EVALUATION_STALE_SECONDS, unit="s",
          description_cs="Plán, který vyhodnocuje kontroly a vyvolává upozornění, běží."),
]

PARTS: dict[str, tuple[Callable[[Context], Awaitable[dict[str, Any]]], list[Check]]] = {
    "queues": (queues.collect, queues.CHECKS),
    "workflows": (workflows.collect, workflows.CHECKS),
    "database": (database.collect, database.CHECKS),
    "errors": (errors.collect, errors.CHECKS),
    "performance": (performance.collect, performance.CHECKS),
    "cache": (caches.collect, caches.CHECKS),
    "channels": (channels.collect, channels.CHECKS),
    "monitoring": (_monitoring, MONITORING_CHECKS),
}
ALL_CHECKS = [check for _, checks in PARTS.values() for check in checks]


@dataclass
class Report:
    generated_at: str
    state: str
    checks: list[CheckResult]
    parts: dict[str, dict[str, Any]]
    problems: dict[str, str]  # part -> why it could not be collected
    timings_ms: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


async def _timed(name: str, collect: Callable[[Context], Awaitable[dict[str, Any]]], ctx: Context) -> tuple[dict[str, Any] | None, str | None, float]:
    started = time.perf_counter()
    try:
        data, problem = await collect(ctx), None
    except Exception as exc:  # one part down must not take the page with it
        log.warning("monitoring part %s could not be collected: %s", name, exc, exc_info=not isinstance(exc, RuntimeError))
        data, problem = None, f"{type(exc).__name__}: {exc}"
    return data, problem, round((time.perf_counter() - started) * 1000, 1)


async def thresholds() -> dict[str, Any]:
    async with session_factory()() as session:
        value = await get_setting(session, "monitoring.thresholds")
    return value if isinstance(value, dict) else {}


async def build_report(temporal: Any, temporal_problem: str | None = None, *, details: bool = True) -> Report:
    ctx = Context(temporal=temporal, now=datetime.now(UTC), temporal_problem=temporal_problem, details=details)
    overrides, *collected = await asyncio.gather(
        thresholds(), *(_timed(name, collect, ctx) for name, (collect, _) in PARTS.items())
    )
    parts, problems, timings, results = {}, {}, {}, []
    for (name, (_, checks)), (data, problem, ms) in zip(PARTS.items(), collected, strict=True):
        timings[name] = ms
        if data is not None:
            parts[name] = data
        if problem:
            problems[name] = problem
        results.extend(evaluate(check, data, overrides, problem) for check in checks)
    return Report(
        generated_at=ctx.now.isoformat(),
        state=worst([r.state for r in results]),
        checks=results,
        parts=parts,
        problems=problems,
        timings_ms=timings,
    )
