"""Admin → Monitoring: one report of queues, workflows, database, errors, latency and caches, each
check with its state; and the actions taken from it (retry a failed run, pause/trigger schedules)."""

from __future__ import annotations

import asyncio
from typing import Any, Literal
from uuid import UUID

import orjson
from fastapi import APIRouter, Response
from pydantic import BaseModel

from api.common.params import ShortText
from api.deps import AdminCaller, TemporalDep
from api.services.monitoring.actions import (
    RetriedOut,
    ScheduleActionOut,
    retry_run,
    schedule_action,
)
from db.telemetry_store import STORE
from infra.monitoring.report import build_report
from infra.temporal_client import connect

router = APIRouter(prefix="/api/admin/monitoring", tags=["admin"])
TEMPORAL_CONNECT_TIMEOUT = 2.0


class RetryIn(BaseModel):
    run_id: UUID  # Temporal's run ids are UUIDs; anything else is a 422, not a Temporal error


async def _temporal() -> tuple[Any, str | None]:
    """The client, or None and why: the page still shows every part that does not need Temporal."""
    try:
        return await asyncio.wait_for(connect(), TEMPORAL_CONNECT_TIMEOUT), None
    except Exception as exc:
        return None, f"Temporal is not reachable: {exc or type(exc).__name__}"


@router.get("")
async def monitoring(_: AdminCaller) -> Response:
    """Every part with its data and every check with state ok / warn / critical / unavailable."""
    await asyncio.to_thread(STORE.flush)  # this process's latest figures, not five seconds old
    client, problem = await _temporal()
    report = await build_report(client, problem)
    # orjson straight from the dataclasses: the report is large and plain, no model to validate
    return Response(orjson.dumps(report.as_dict(), default=str), media_type="application/json")


@router.post("/workflows/{workflow_id}/retry", status_code=202)
async def retry(
    workflow_id: ShortText, body: RetryIn, caller: AdminCaller, temporal: TemporalDep
) -> RetriedOut:
    """Reset a failed run to its first workflow task: a new run with the same input."""
    return await retry_run(temporal, workflow_id, str(body.run_id), caller.user.email)


@router.post("/schedules/{schedule_id}/{action}")
async def schedule(
    schedule_id: ShortText,
    action: Literal["pause", "unpause", "trigger"],
    caller: AdminCaller,
    temporal: TemporalDep,
) -> ScheduleActionOut:
    return await schedule_action(temporal, schedule_id, action, caller.user.email)
