"""The monitoring page at the old system's scale: `GET /api/admin/monitoring` with the database of
`python -m bench.db_scale` loaded (8 M items), a Temporal dev server to describe queues and list
runs, and one statistics snapshot taken first (as the 5-minute schedule would have).

Registered in bench/db_scale.py's FIGURE_HOOKS; adds `monitoring_ms=<p95>` to its last line.
The budget is 300 ms; the log line also gives the budget ratio and which part took longest.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.db_scale import BenchContext

BUDGET_MS = 300.0
WARMUP, SAMPLES = 3, 30


async def monitoring_figure(ctx: BenchContext) -> dict[str, float]:
    from temporalio.testing import WorkflowEnvironment

    from activities.monitoring import snapshot_database_stats
    from bench.db_scale import log
    from db.config import get_settings
    from infra import temporal_client as temporal

    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"), ui=False, dev_server_log_level="error"
    )
    before = os.environ.get("TEMPORAL_ADDRESS")
    os.environ["TEMPORAL_ADDRESS"] = env.client.service_client.config.target_host
    get_settings.cache_clear()
    temporal.forget_clients()
    try:
        snapshot = await snapshot_database_stats()
        log(f"monitoring: statistics snapshot took {snapshot.sizes} table sizes ({snapshot.statements_problem or 'statements read'})")
        times, parts = [], []
        for n in range(WARMUP + SAMPLES):
            started = time.perf_counter()
            response = await ctx.api.get("/api/admin/monitoring")
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, response.text
            body = response.json()
            assert not body["problems"], f"a monitoring part failed at scale: {body['problems']}"
            if n >= WARMUP:
                times.append(elapsed)
                parts.append(body["timings_ms"])
        times.sort()
        p95 = times[max(0, round(0.95 * len(times)) - 1)]
        slowest = max(parts[-1], key=parts[-1].get)
        log(
            f"monitoring page, {len(times)} requests with {ctx.items:,} items: p50 {statistics.median(times):.1f} ms, "
            f"p95 {p95:.1f} ms (budget {BUDGET_MS:.0f} ms, ratio {BUDGET_MS / p95:.2f}); slowest part {slowest} "
            f"{parts[-1][slowest]:.0f} ms; default partitions {body['parts']['database']['default_partitions']}"
        )
        return {"monitoring_ms": p95}
    finally:
        await env.shutdown()
        if before is None:
            os.environ.pop("TEMPORAL_ADDRESS", None)
        else:
            os.environ["TEMPORAL_ADDRESS"] = before
        get_settings.cache_clear()
        temporal.forget_clients()
