"""Latency from every process's minute buckets: API p50/p95/p99 per route, activity durations,
SQL time per statement kind, and a per-minute API timeline; the p95 check over 15 minutes.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from db.engine import replica_session
from db.telemetry_store import merge_buckets, quantile
from infra.monitoring.checks import Check, Context, Measurement, cz

WINDOW = timedelta(hours=1)
CHECK_WINDOW = timedelta(minutes=15)
MIN_REQUESTS = 20  # fewer requests than this make no meaningful p95
TOP = 30


def summarise(rows: list[Any]) -> list[dict[str, Any]]:
    """Per series: count, mean, p50/p95/p99 and max, busiest (most total time) first."""
    grouped: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.name].append(row)
    out = []
    for name, parts in grouped.items():
        count = sum(p.count for p in parts)
        total = sum(p.sum_ms for p in parts)
        buckets = merge_buckets([p.buckets for p in parts])
        out.append(
            {
                "name": name,
                "count": count,
                "total_ms": round(total, 1),
                "mean_ms": round(total / count, 2) if count else None,
                "p50_ms": quantile(buckets, 0.5),
                "p95_ms": quantile(buckets, 0.95),
                "p99_ms": quantile(buckets, 0.99),
                "max_ms": round(max(p.max_ms for p in parts), 2),
            }
        )
    return sorted(out, key=lambda s: -s["total_ms"])[:TOP]


async def collect(ctx: Context) -> dict[str, Any]:
    since = ctx.now - WINDOW
    async with replica_session() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT minute, kind, name, count, sum_ms, max_ms, buckets FROM monitoring_latency_minutes "
                    "WHERE minute >= :since AND kind IN ('http', 'activity', 'sql')"
                ),
                {"since": since},
            )
        ).all()
    by_kind: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_kind[row.kind].append(row)
    minutes: dict[str, list[Any]] = defaultdict(list)
    for row in by_kind["http"]:
        minutes[row.minute.strftime("%Y-%m-%dT%H:%M:00Z")].append(row)
    timeline = []
    for i in range(60):
        minute = (since + timedelta(minutes=i + 1)).strftime("%Y-%m-%dT%H:%M:00Z")
        parts = minutes.get(minute, [])
        buckets = merge_buckets([p.buckets for p in parts])
        timeline.append({"minute": minute, "requests": sum(p.count for p in parts),
                         "p50_ms": quantile(buckets, 0.5), "p95_ms": quantile(buckets, 0.95)})
    recent = [r for r in by_kind["http"] if r.minute >= ctx.now - CHECK_WINDOW]
    recent_buckets = merge_buckets([r.buckets for r in recent])
    return {
        "routes": summarise(by_kind["http"]),
        "activities": summarise(by_kind["activity"]),
        "sql": summarise(by_kind["sql"]),
        "sql_total_ms": round(sum(r.sum_ms for r in by_kind["sql"]), 1),
        "timeline": timeline,
        "recent": {"requests": sum(recent_buckets), "p95_ms": quantile(recent_buckets, 0.95)},
    }


def _api_p95(data: dict[str, Any], _: dict[str, float]) -> Measurement:
    recent = data["recent"]
    if recent["requests"] < MIN_REQUESTS:
        return Measurement(None, f"{recent['requests']} request(s) in 15 min: too few for a p95",
                           summary_cs=f"požadavků za 15 min: {recent['requests']}, na p95 málo")
    slow = [r for r in data["routes"] if (r["p95_ms"] or 0) >= 500][:10]
    return Measurement(recent["p95_ms"], f"p95 {recent['p95_ms']:g} ms over {recent['requests']} requests in 15 min", slow,
                       summary_cs=f"p95 {cz(recent['p95_ms'], 0)} ms z {recent['requests']} požadavků za 15 min")


CHECKS = [
    Check("api_latency_p95", "performance", "95th percentile of API request time over the last 15 minutes.",
          _api_p95, warn=500, critical=2000, unit="ms",
          description_cs="95. percentil doby odpovědi API za posledních 15 minut."),
]
