"""A schedule paused by ops stays paused when a worker restarts and re-declares it."""

from __future__ import annotations

from datetime import timedelta

from infra.temporal_client import connect, ensure_schedule
from workflows.queues import Queue
from workflows.schedules import ScheduleDecl


async def test_redeclaring_keeps_a_pause(temporal_env: object) -> None:
    client = await connect()
    decl = ScheduleDecl("test-keep-pause", "SystemCheckWorkflow", "test:keep-pause", Queue.SYSTEM,
                        every=timedelta(hours=1))
    await ensure_schedule(client, decl)
    handle = client.get_schedule_handle(decl.id)
    try:
        await handle.pause(note="ops: investigating")
        await ensure_schedule(client, ScheduleDecl(**{**decl.__dict__, "every": timedelta(hours=2)}))
        desc = await handle.describe()
        assert desc.schedule.state.paused and desc.schedule.state.note == "ops: investigating"
        assert desc.schedule.spec.intervals[0].every == timedelta(hours=2)  # the declaration still applies
    finally:
        await handle.delete()
