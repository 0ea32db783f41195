"""Task queues: backlog and pollers from Temporal's DescribeTaskQueue (report_stats), and the wait a
new task can expect, as Laravel Horizon estimates it: backlog × average run time ÷ workers.

The average run time is the activity time of that queue over the last hour (from every worker
process's telemetry); workers are the worker processes polling it times the activity slots each
one runs. Temporal's own backlog age is a floor for the estimate, and a backlog that no worker
polls has no finite wait at all: that is critical however young it is.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from temporalio.api.enums.v1 import TaskQueueKind, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

from db.engine import session_factory
from infra.monitoring.checks import Check, Context, Measurement, cz
from workflows.queues import Queue

# infra/worker.build_workers runs this many activities at once per worker process.
ACTIVITY_SLOTS_PER_WORKER = 8
WORKFLOW_TASK_SECONDS = 0.05  # a workflow task is a few ms of replay; used when backlog builds up
KINDS = {"workflow": TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, "activity": TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY}


async def _describe(client: Any, queue: str, kind: str) -> dict[str, Any]:
    response = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=queue, kind=TaskQueueKind.TASK_QUEUE_KIND_NORMAL),
            task_queue_type=KINDS[kind],
            report_stats=True,
        )
    )
    stats = response.stats
    age = stats.approximate_backlog_age
    return {
        "backlog": int(stats.approximate_backlog_count),
        "backlog_age_s": round(age.seconds + age.nanos / 1e9, 3),
        "add_rate": round(stats.tasks_add_rate, 3),
        "dispatch_rate": round(stats.tasks_dispatch_rate, 3),
        "pollers": len({p.identity for p in response.pollers}),
    }


async def _average_activity_seconds(since: Any) -> dict[str, float]:
    async with session_factory()() as session:
        rows = await session.execute(
            text(
                "SELECT name, sum(sum_ms) / nullif(sum(count), 0) FROM monitoring_latency_minutes "
                "WHERE kind = 'queue' AND minute >= :since GROUP BY name"
            ),
            {"since": since},
        )
        return {name: float(ms) / 1000 for name, ms in rows if ms is not None}


def wait_estimate(backlog: int, average_s: float, workers: int, backlog_age_s: float) -> float | None:
    """Horizon's estimate with the observed backlog age as a floor; None when nobody polls."""
    if backlog <= 0:
        return 0.0
    if workers <= 0:
        return None
    return max(backlog * average_s / workers, backlog_age_s)


async def collect(ctx: Context) -> dict[str, Any]:
    if ctx.temporal is None:
        raise RuntimeError(ctx.temporal_problem or "Temporal is not reachable")
    names = [q.value for q in Queue]
    described, averages = await asyncio.gather(
        asyncio.gather(*(_describe(ctx.temporal, q, kind) for q in names for kind in KINDS)),
        _average_activity_seconds(ctx.now - timedelta(hours=1)),
    )
    queues = []
    for i, name in enumerate(names):
        wf, act = described[2 * i], described[2 * i + 1]
        avg = averages.get(name, 0.0)
        waits = [
            wait_estimate(act["backlog"], avg, act["pollers"] * ACTIVITY_SLOTS_PER_WORKER, act["backlog_age_s"]),
            wait_estimate(wf["backlog"], WORKFLOW_TASK_SECONDS, wf["pollers"], wf["backlog_age_s"]),
        ]
        queues.append(
            {
                "queue": name,
                "workflow_backlog": wf["backlog"],
                "activity_backlog": act["backlog"],
                "backlog_age_s": max(wf["backlog_age_s"], act["backlog_age_s"]),
                "workflow_pollers": wf["pollers"],
                "activity_pollers": act["pollers"],
                "avg_activity_s": round(avg, 3),
                "wait_s": None if None in waits else round(max(w for w in waits if w is not None), 3),
                "no_workers": None in waits,
                "dispatch_rate": round(wf["dispatch_rate"] + act["dispatch_rate"], 3),
            }
        )
    return {"queues": queues}


def _queue_wait(data: dict[str, Any], _: dict[str, float]) -> Measurement:
    queues = data["queues"]
    stranded = [q for q in queues if q["no_workers"]]
    if stranded:
        names = ", ".join(q["queue"] for q in stranded)
        age = max(q["backlog_age_s"] for q in stranded)
        return Measurement(age, f"tasks wait on {names} and no worker polls it", stranded, state="critical",
                           summary_cs=f"úlohy čekají ve frontě {names} a žádný worker ji neobsluhuje")
    worst = max(queues, key=lambda q: q["wait_s"] or 0.0)
    return Measurement(
        worst["wait_s"],
        f"longest expected wait {worst['wait_s']:.1f} s on {worst['queue']}",
        [q for q in queues if q["wait_s"]],
        summary_cs=f"nejdelší očekávané čekání {cz(worst['wait_s'] or 0.0)} s ve frontě {worst['queue']}",
    )


CHECKS = [
    Check(
        "queue_wait",
        "queues",
        "Expected wait of a new task (backlog × average run time ÷ workers, at least the backlog's age).",
        _queue_wait,
        description_cs="Očekávané čekání nové úlohy (fronta × průměrná doba běhu ÷ workery, nejméně stáří fronty).",
        warn=30,
        critical=60,
        unit="s",
    ),
]
