"""Cache hit rates from the counters every process flushes (kind `cache`, `<cache>.<level>.hit|miss`).

The settings cache reports a memory and a Redis level; any other cache that registers a counter
source with the telemetry store shows up here by its name. The overall rate counts a read as
served when either level answered it (a Redis hit follows a memory miss).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import text

from db import tagged_cache
from db.engine import session_factory
from infra.monitoring.checks import Check, Context, Measurement, cz

WINDOW = timedelta(hours=1)
MIN_READS = 100


async def collect(ctx: Context) -> dict[str, Any]:
    async with session_factory()() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT name, sum(count)::bigint FROM monitoring_latency_minutes "
                    "WHERE kind = 'cache' AND minute >= :since GROUP BY name"
                ),
                {"since": ctx.now - WINDOW},
            )
        ).all()
    counts: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: {"hit": 0, "miss": 0}))
    for name, n in rows:
        cache, level, outcome = name.rsplit(".", 2)
        counts[cache][level][outcome] += int(n)
    caches = []
    for cache, levels in sorted(counts.items()):
        reads = max(v["hit"] + v["miss"] for v in levels.values())  # every read asks the first level
        served = sum(v["hit"] for v in levels.values())
        caches.append(
            {
                "cache": cache,
                "reads": reads,
                "hit_rate": round(100 * served / reads, 2) if reads else None,
                "levels": [
                    {"level": level, **v, "hit_rate": round(100 * v["hit"] / (v["hit"] + v["miss"]), 2) if v["hit"] + v["miss"] else None}
                    for level, v in levels.items()
                ],
            }
        )
    try:  # the tagged cache's answers per kind, counted in Redis by every process
        kinds = await tagged_cache.kind_stats()
    except RedisError:
        kinds = []
    return {"caches": caches, "kinds": kinds}


def _settings_hit_rate(data: dict[str, Any], _: dict[str, float]) -> Measurement:
    settings = next((c for c in data["caches"] if c["cache"] == "settings"), None)
    if settings is None or settings["reads"] < MIN_READS:
        reads = settings["reads"] if settings else 0
        return Measurement(None, f"{reads} settings read(s) in the last hour: too few to judge",
                           summary_cs=f"čtení nastavení za poslední hodinu: {reads}, na posouzení málo")
    return Measurement(settings["hit_rate"], f"{settings['hit_rate']:g} % of {settings['reads']} reads served from cache", settings["levels"],
                       summary_cs=f"z mezipaměti {cz(settings['hit_rate'], 1)} % z {settings['reads']} čtení")


CHECKS = [
    Check("settings_cache_hit_rate", "cache", "Settings reads answered by memory or Redis in the last hour.",
          _settings_hit_rate, warn=80, critical=50, unit="%", lower_is_worse=True,
          description_cs="Čtení nastavení zodpovězená z paměti nebo z Redisu za poslední hodinu."),
]
