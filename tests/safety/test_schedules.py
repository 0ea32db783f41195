"""The safety-net schedules exist on a real Temporal server and start their workflows without arguments."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio.client import ScheduleActionStartWorkflow

from workflows.queues import Queue
from workflows.schedules import APP_SCHEDULES

MINE = {
    "maint:backup": "BackupWorkflow",
    "maint:pitr-base": "PitrBaseBackupWorkflow",
    "maint:integrity": "IntegrityWorkflow",
    "maint:cleanup": "CleanupWorkflow",
}


async def test_schedules_are_created_as_declared(temporal_env: object) -> None:
    from infra.temporal_client import connect, ensure_schedules

    decls = [d for d in APP_SCHEDULES if d.id in MINE]
    assert {d.id: d.workflow for d in decls} == MINE
    client = await connect()
    await ensure_schedules(client, decls)
    await ensure_schedules(client, decls)  # idempotent
    backup = await client.get_schedule_handle("maint:backup").describe()
    spec = backup.schedule.spec
    assert spec.time_zone_name == "Europe/Prague"
    [daily] = spec.calendars  # the server keeps cron as a calendar
    assert [(r.start, r.end) for r in daily.hour] == [(2, 2)]
    assert [(r.start, r.end) for r in daily.minute] == [(0, 0)]
    action = backup.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow)
    assert action.workflow == "BackupWorkflow"
    assert action.task_queue == Queue.MAINTENANCE.value


async def test_backup_workflow_runs_without_arguments_like_a_schedule_starts_it(worker: list[object]) -> None:
    from infra.temporal_client import connect

    client = await connect()
    report = await client.execute_workflow(
        "BackupWorkflow",
        id=f"maint:backup-test-{datetime.now(UTC):%H%M%S%f}",
        task_queue=Queue.MAINTENANCE.value,
    )
    assert report["dump"]["tables"] > 0 and report["dump"]["sha256"]
