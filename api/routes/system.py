"""Admin: run the system check workflow, proving API → Temporal → worker → DB end to end."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import AdminCaller, TemporalDep
from workflows import search_attributes
from workflows.queues import Queue
from workflows.system import DependencyReport, SystemCheckWorkflow

router = APIRouter(prefix="/api/admin/system-check", tags=["admin"])


class SystemCheckOut(BaseModel):
    """What the worker found, through a workflow run on the system queue."""

    workflow_id: str
    database: str
    redis: str
    shops: int
    worker: str


@router.post("")
async def run_system_check(_: AdminCaller, temporal: TemporalDep) -> SystemCheckOut:
    # the clock for reading, a random tail so two checks at one instant are two workflows
    workflow_id = f"system-check:{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"
    report: DependencyReport = await temporal.execute_workflow(
        SystemCheckWorkflow.run,
        id=workflow_id,
        task_queue=Queue.SYSTEM.value,
        search_attributes=search_attributes.for_run("system-check"),
    )
    return SystemCheckOut(workflow_id=workflow_id, database=report.database, redis=report.redis,
                          shops=report.shops, worker=report.worker)
