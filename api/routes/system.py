"""Admin: run the system check workflow, proving API → Temporal → worker → DB end to end."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import UTC, datetime

from fastapi import APIRouter

from api.deps import AdminCaller, TemporalDep
from workflows import search_attributes
from workflows.queues import Queue
from workflows.system import DependencyReport, SystemCheckWorkflow

router = APIRouter(prefix="/api/admin/system-check", tags=["admin"])


@router.post("")
async def run_system_check(_: AdminCaller, temporal: TemporalDep) -> dict[str, object]:
    # the clock for reading, a random tail so two checks at one instant are two workflows
    workflow_id = f"system-check:{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"
    report: DependencyReport = await temporal.execute_workflow(
        SystemCheckWorkflow.run,
        id=workflow_id,
        task_queue=Queue.SYSTEM.value,
        search_attributes=search_attributes.for_run("system-check"),
    )
    return {"workflow_id": workflow_id, **asdict(report)}
