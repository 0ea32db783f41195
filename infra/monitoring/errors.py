"""Errors captured in every process (API, workers, activities), grouped by fingerprint: the most
frequent of the last 24 h first, with count, last seen and a trace link; and the spike check,
errors of the last 5 minutes above the usual rate of the hour before.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import text

from db.engine import replica_session
from infra.monitoring.checks import Check, Context, Measurement, cz

SPIKE_WINDOW = timedelta(minutes=5)
BASELINE = timedelta(hours=1)
TOP = 30


async def collect(ctx: Context) -> dict[str, Any]:
    now = ctx.now
    async with replica_session() as session:
        groups = (
            await session.execute(
                text(
                    """
                    SELECT e.fingerprint, e.source, e.error_type, e.message, e.sample, e.frames, e.count AS total,
                           coalesce(m.recent, 0)::bigint AS last_24h, e.first_seen, e.last_seen, e.last_trace_id, e.context
                    FROM monitoring_errors e
                    LEFT JOIN (SELECT fingerprint, sum(count) AS recent FROM monitoring_error_minutes
                               WHERE minute >= :day GROUP BY fingerprint) m ON m.fingerprint = e.fingerprint
                    WHERE e.last_seen >= :week
                    ORDER BY coalesce(m.recent, 0) DESC, e.count DESC, e.last_seen DESC
                    LIMIT :top
                    """
                ),
                {"day": now - timedelta(hours=24), "week": now - timedelta(days=7), "top": TOP},
            )
        ).mappings().all()
        hours = (
            await session.execute(
                text(
                    "SELECT date_trunc('hour', minute) AS hour, sum(count)::bigint FROM monitoring_error_minutes "
                    "WHERE minute >= :day GROUP BY 1 ORDER BY 1"
                ),
                {"day": now - timedelta(hours=24)},
            )
        ).all()
        recent, baseline = (
            await session.execute(
                text(
                    "SELECT coalesce(sum(count) FILTER (WHERE minute >= :spike), 0)::bigint, "
                    "coalesce(sum(count) FILTER (WHERE minute < :spike), 0)::bigint "
                    "FROM monitoring_error_minutes WHERE minute >= :base"
                ),
                {"spike": now - SPIKE_WINDOW, "base": now - SPIKE_WINDOW - BASELINE},
            )
        ).one()
    by_hour = {h.strftime("%Y-%m-%dT%H:00:00Z"): int(n) for h, n in hours}
    start = (now - timedelta(hours=23)).replace(minute=0, second=0, microsecond=0)
    timeline = [
        {"hour": h, "errors": by_hour.get(h, 0)}
        for h in ((start + timedelta(hours=i)).strftime("%Y-%m-%dT%H:00:00Z") for i in range(24))
    ]
    return {
        "groups": [
            {**{k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in g.items()}} for g in groups
        ],
        "timeline": timeline,
        "last_5_min": int(recent),
        "usual_per_5_min": round(int(baseline) / (BASELINE / SPIKE_WINDOW), 2),
    }


def _spike(data: dict[str, Any], _: dict[str, float]) -> Measurement:
    recent, usual = data["last_5_min"], data["usual_per_5_min"]
    excess = recent - usual
    summary = f"{recent} error(s) in the last 5 min, usually {usual:g}"
    summary_cs = f"chyb za posledních 5 min: {recent}, obvykle {cz(usual, 1)}"
    return Measurement(excess, summary, data["groups"][:5] if excess > 0 else [], summary_cs=summary_cs)


CHECKS = [
    Check(
        "error_rate_spike",
        "errors",
        "Errors in the last 5 minutes above the average 5 minutes of the hour before.",
        _spike,
        description_cs="Chyby za posledních 5 minut nad průměrem pětiminutovek předchozí hodiny.",
        warn=10,
        critical=25,
        unit="errors",
    ),
]
