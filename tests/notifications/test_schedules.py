"""The delivery and usage-flush schedules are declared with the app's schedules and created
by the worker's start (ensure_schedules), on the notifications queue."""

from __future__ import annotations

from infra.temporal_client import connect, ensure_schedule
from workflows.queues import Queue
from workflows.schedules import APP_SCHEDULES


async def test_delivery_and_flush_schedules_are_created(temporal_env: object) -> None:
    mine = [d for d in APP_SCHEDULES if d.id in ("notifications:deliver", "usage:flush")]
    assert [d.id for d in mine] == ["notifications:deliver", "usage:flush"]
    client = await connect()
    for decl in mine:
        await ensure_schedule(client, decl)
        described = await client.get_schedule_handle(decl.id).describe()
        action = described.schedule.action
        assert getattr(action, "task_queue", None) == Queue.NOTIFICATIONS.value
        await client.get_schedule_handle(decl.id).delete()
