"""Workflow runs from Temporal visibility: started/completed/failed per minute, run time p50/p95 per
workflow type, failed runs with their reason (the close event's failure), failures by hour, and
the schedules with their last and next run.
"""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

from temporalio.api.common.v1 import WorkflowExecution as WorkflowExecutionRef
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryReverseRequest
from temporalio.client import WorkflowExecution, WorkflowExecutionStatus

from db.config import get_settings
from infra.monitoring.checks import Check, Context, Measurement

LIST_LIMIT = 5000  # runs read for the hour's timeline; more is reported as truncated
FAILED_LIMIT = 1000
FAILED_SHOWN = 25
FAILED_STATUSES = ("Failed", "TimedOut", "Terminated")


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


async def _list(client: Any, query: str, limit: int) -> list[WorkflowExecution]:
    return [wf async for wf in client.list_workflows(query, limit=limit, page_size=min(limit, 1000))]


def temporal_link(workflow_id: str, run_id: str | None = None) -> str:
    settings = get_settings()
    base = f"{settings.temporal_ui_url}/namespaces/{settings.temporal_namespace}/workflows/{workflow_id}"
    return f"{base}/{run_id}/history" if run_id else base


async def failure_reason(client: Any, workflow_id: str, run_id: str) -> str:
    """The failure message of a closed run, from its last history event."""
    response = await client.workflow_service.get_workflow_execution_history_reverse(
        GetWorkflowExecutionHistoryReverseRequest(
            namespace=client.namespace,
            execution=WorkflowExecutionRef(workflow_id=workflow_id, run_id=run_id),
            maximum_page_size=1,
        )
    )
    if not response.history.events:
        return "no history"
    event = response.history.events[0]
    if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
        failure = event.workflow_execution_failed_event_attributes.failure
        parts = [failure.message]
        cause = failure.cause
        while cause.message and len(parts) < 3:
            parts.append(cause.message)
            cause = cause.cause
        return ": ".join(p for p in parts if p)
    if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
        return f"terminated: {event.workflow_execution_terminated_event_attributes.reason or 'no reason given'}"
    if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
        return "timed out (workflow execution or run timeout)"
    return EventType.Name(event.event_type)


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 3)
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1], 3)


def _status(wf: WorkflowExecution) -> str:
    return wf.status.name.lower() if wf.status else "unknown"


async def _schedules(client: Any) -> list[dict[str, Any]]:
    out = []
    async for item in await client.list_schedules():
        info, schedule = item.info, item.schedule
        last = info.recent_actions[-1] if info and info.recent_actions else None
        action = getattr(schedule, "action", None)
        out.append(
            {
                "id": item.id,
                "workflow": getattr(action, "workflow", None),
                "paused": bool(schedule and schedule.state.paused),
                "note": (schedule.state.note if schedule else None) or None,
                "last_run_at": last.started_at.isoformat() if last else None,
                "last_workflow_id": getattr(last.action, "workflow_id", None) if last else None,
                "next_run_at": info.next_action_times[0].isoformat() if info and info.next_action_times else None,
            }
        )
    return sorted(out, key=lambda s: s["id"])


async def collect(ctx: Context) -> dict[str, Any]:
    if ctx.temporal is None:
        raise RuntimeError(ctx.temporal_problem or "Temporal is not reachable")
    client, now = ctx.temporal, ctx.now
    hour_ago, day_ago = now - timedelta(hours=1), now - timedelta(hours=24)
    failed_query = f"CloseTime > '{_ts(day_ago)}' AND ExecutionStatus IN ({', '.join(repr(s) for s in FAILED_STATUSES)})"
    recent, failed, schedules = await asyncio.gather(
        _list(client, f"StartTime > '{_ts(hour_ago)}' OR CloseTime > '{_ts(hour_ago)}'", LIST_LIMIT),
        _list(client, failed_query, FAILED_LIMIT),
        _schedules(client),
    )
    per_minute: dict[str, Counter[str]] = defaultdict(Counter)
    durations: dict[str, list[float]] = defaultdict(list)
    for wf in recent:
        if wf.start_time >= hour_ago:
            per_minute[wf.start_time.strftime("%Y-%m-%dT%H:%M:00Z")]["started"] += 1
        if wf.close_time and wf.close_time >= hour_ago:
            bucket = "completed" if wf.status == WorkflowExecutionStatus.COMPLETED else (
                "failed" if _status(wf) in ("failed", "timed_out", "terminated") else "other"
            )
            per_minute[wf.close_time.strftime("%Y-%m-%dT%H:%M:00Z")][bucket] += 1
            durations[wf.workflow_type].append((wf.close_time - wf.start_time).total_seconds())
    timeline = []
    for i in range(60):
        minute = (hour_ago + timedelta(minutes=i + 1)).strftime("%Y-%m-%dT%H:%M:00Z")
        counts = per_minute.get(minute, Counter())
        timeline.append({"minute": minute, **{k: counts[k] for k in ("started", "completed", "failed")}})
    by_hour: Counter[str] = Counter(wf.close_time.strftime("%Y-%m-%dT%H:00:00Z") for wf in failed if wf.close_time)
    failures_by_hour = [
        {"hour": h, "failed": by_hour[h]}
        for h in ((day_ago + timedelta(hours=i + 1)).strftime("%Y-%m-%dT%H:00:00Z") for i in range(24))
    ]
    failed.sort(key=lambda wf: wf.close_time or now, reverse=True)
    shown = failed[:FAILED_SHOWN] if ctx.details else []
    reasons = await asyncio.gather(
        *(failure_reason(client, wf.id, wf.run_id) for wf in shown), return_exceptions=True
    )
    failed_runs = [
        {
            "workflow_id": wf.id,
            "run_id": wf.run_id,
            "workflow_type": wf.workflow_type,
            "task_queue": wf.task_queue,
            "status": _status(wf),
            "started_at": wf.start_time.isoformat(),
            "closed_at": wf.close_time.isoformat() if wf.close_time else None,
            "reason": reason if isinstance(reason, str) else f"reason unavailable: {reason}",
            "temporal_url": temporal_link(wf.id, wf.run_id),
        }
        for wf, reason in zip(shown, reasons, strict=True)
    ]
    run_times = [
        {
            "workflow_type": kind,
            "runs": len(values),
            "p50_s": _percentile(values, 0.5),
            "p95_s": _percentile(values, 0.95),
            "max_s": round(max(values), 3),
        }
        for kind, values in sorted(durations.items(), key=lambda kv: -len(kv[1]))
    ]
    last_hour_failed = sum(1 for wf in failed if wf.close_time and wf.close_time >= hour_ago)
    return {
        "last_hour": {
            "started": sum(t["started"] for t in timeline),
            "completed": sum(t["completed"] for t in timeline),
            "failed": last_hour_failed,
            "truncated": len(recent) >= LIST_LIMIT,
        },
        "timeline": timeline,
        "run_times": run_times,
        "failed_runs": failed_runs,
        "failed_last_24h": len(failed),
        "failures_by_hour": failures_by_hour,
        "schedules": schedules,
    }


def _failed_workflows(data: dict[str, Any], _: dict[str, float]) -> Measurement:
    failed = data["last_hour"]["failed"]
    return Measurement(
        failed,
        f"{failed} run(s) failed in the last hour, {data['failed_last_24h']} in 24 h",
        data["failed_runs"][:10],
        summary_cs=f"neúspěšných běhů za poslední hodinu: {failed}, za 24 h: {data['failed_last_24h']}",
    )


def _paused_schedules(data: dict[str, Any], _: dict[str, float]) -> Measurement:
    paused = [s for s in data["schedules"] if s["paused"]]
    return Measurement(len(paused), f"{len(paused)} schedule(s) paused", paused,
                       summary_cs=f"pozastavených plánů: {len(paused)}")


CHECKS = [
    Check(
        "failed_workflows",
        "workflows",
        "Workflow runs that failed, timed out or were terminated in the last hour.",
        _failed_workflows,
        description_cs="Běhy workflow, které za poslední hodinu selhaly, vypršely nebo byly ukončeny.",
        warn=1,
        critical=10,
        unit="runs",
    ),
    Check(
        "paused_schedules",
        "workflows",
        "Schedules someone paused: their jobs do not run until resumed.",
        _paused_schedules,
        description_cs="Plány, které někdo pozastavil: jejich úlohy neběží, dokud se neobnoví.",
        warn=1,
        unit="schedules",
    ),
]
