"""Every app-wide Temporal Schedule, declared in one place and created idempotently at worker start.

Per-shop schedules (incremental sync) are declared by their domain and created at installation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

# issue 19: notification delivery and the usage counters (the lead may regroup at merge)
from workflows.notifications import DeliveryRequest
from workflows.queues import Queue


@dataclass(frozen=True)
class ScheduleDecl:
    id: str
    workflow: str  # workflow type name
    workflow_id: str  # id of each started run (the schedule appends a timestamp)
    queue: Queue
    cron: str | None = None  # standard 5-field cron
    every: timedelta | None = None
    timezone: str = "UTC"
    args: tuple[Any, ...] = ()
    note: str = ""
    overlap: str = "SKIP"  # SKIP | BUFFER_ONE | ALLOW_ALL
    tags: tuple[str, ...] = field(default_factory=tuple)
    # search attributes of the runs it starts (RunKind defaults to the schedule id)
    run_kind: str | None = None
    shop_id: int | None = None
    channel: str | None = None


# Domains append their declarations here (see each domain's workflow module).
APP_SCHEDULES: list[ScheduleDecl] = [
    ScheduleDecl(
        id="maint:partitions",
        workflow="PartitionMaintenanceWorkflow",
        workflow_id="maint:partitions",
        queue=Queue.MAINTENANCE,
        cron="30 3 * * *",
        note="premake quarters, empty the default partitions, archive quarters past retention, analyse the parents",
    ),
]
APP_SCHEDULES.append(ScheduleDecl("maint:backup", "BackupWorkflow", "maint:backup", Queue.MAINTENANCE, cron="0 2 * * *", timezone="Europe/Prague", note="pg_dump + checksum, retention, weekly restore verification"))
APP_SCHEDULES.append(ScheduleDecl("maint:pitr-base", "PitrBaseBackupWorkflow", "maint:pitr-base", Queue.MAINTENANCE, cron="30 3 * * *", timezone="Europe/Prague", note="PITR: a base backup when the newest is older than pitr.base_backup_interval_days; prune old ones and unneeded WAL"))
APP_SCHEDULES.append(ScheduleDecl("maint:integrity", "IntegrityWorkflow", "maint:integrity", Queue.MAINTENANCE, cron="15 */6 * * *", note="data integrity checks every 6 hours; failures become notifications"))
APP_SCHEDULES.append(ScheduleDecl("maint:cleanup", "CleanupWorkflow", "maint:cleanup", Queue.MAINTENANCE, cron="0 4 * * *", timezone="Europe/Prague", note="retention of notifications, webhooks, snapshot files, quarantine rows"))
APP_SCHEDULES.append(ScheduleDecl("snapshots-sweep", "SnapshotSweepWorkflow", "snapshots:sweep", Queue.SNAPSHOTS, every=timedelta(minutes=15), note="retry failed snapshot runs up to the shop's limit; notify when giving up"))
APP_SCHEDULES.append(ScheduleDecl("analytics-customers-nightly", "CustomerAnalyticsNightlyWorkflow", "analytics:customers:nightly", Queue.ANALYTICS, cron="30 1 * * *", timezone="Europe/Prague", note="customer analytics of every active shop, a few at a time; one run per shop (workflow id analytics:customers:{shop_id})"))
APP_SCHEDULES.append(ScheduleDecl("monitoring:snapshot", "MonitoringSnapshotWorkflow", "monitoring:snapshot", Queue.SYSTEM, every=timedelta(minutes=5), note="pg_stat_statements deltas every 5 minutes, table sizes hourly, monitoring data pruned past its retention (14 days)"))
APP_SCHEDULES.append(ScheduleDecl("monitoring:checks", "MonitoringChecksWorkflow", "monitoring:checks", Queue.SYSTEM, every=timedelta(minutes=1), note="evaluate every monitoring check; a check turning critical raises one alert notification, resolved when ok"))
APP_SCHEDULES.append(ScheduleDecl("analytics-inventory-nightly", "InventoryNightlyWorkflow", "analytics:inventory:nightly", Queue.ANALYTICS, cron="15 0 * * *", timezone="Europe/Prague", note="inventory planning of every active shop just after midnight (the stock snapshot closes the day); one run per shop (workflow id analytics:inventory:{shop_id})"))


def feeds_schedule(shop_id: int) -> ScheduleDecl:
    """A shop's catalog feeds, every hour (marketplaces fetch them a few times a day); created
    when the owner enables feeds (api.services.feeds), deleted when they disable them."""
    return ScheduleDecl(f"feeds:{shop_id}", "FeedsWorkflow", f"feeds:{shop_id}", Queue.EXPORTS, cron="20 * * * *", args=({"shop_id": shop_id},), note="catalog feeds of one shop (Heureka, Zboží.cz, Google/Meta, idealo)")
def channel_sync_schedule(
    shop_id: int, connection_id: int, channel: str, minutes: int, push_stock: bool = True
) -> ScheduleDecl:
    """A sales channel connection's incremental order sync (and stock push, when enabled) every
    `minutes`; created with the connection, updated with its settings, deleted with it
    (api.services.channels). Its runs carry the `Channel` search attribute."""
    return ScheduleDecl(
        f"channels:{shop_id}:{connection_id}:schedule", "ChannelSyncWorkflow",
        f"channels:{shop_id}:{connection_id}:sync", Queue.SYNC, every=timedelta(minutes=minutes),
        args=({"shop_id": shop_id, "connection_id": connection_id, "trigger": "schedule", "push_stock": push_stock},),
        note="a sales channel's incremental order sync and stock push", run_kind="channel-sync",
        shop_id=shop_id, channel=channel,
    )  # fmt: skip


APP_SCHEDULES.append(ScheduleDecl("notifications:deliver", "NotificationDeliveryWorkflow", "notifications:deliver", Queue.NOTIFICATIONS, every=timedelta(minutes=1), args=(DeliveryRequest(),), note="send the e-mail and Slack deliveries notifications owe; a flood to one user becomes one digest"))
APP_SCHEDULES.append(ScheduleDecl("usage:flush", "UsageFlushWorkflow", "usage:flush", Queue.NOTIFICATIONS, every=timedelta(minutes=5), note="copy the day's metered-call counters from Redis into usage_daily (history for the usage pages)"))
