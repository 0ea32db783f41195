"""Which activities each task queue's worker runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activities import (
    archive,
    backups,
    cleanup,
    integrity,
    legacy_migration,
    partitions,
    pitr_base,
    system,
)
from activities import customer_analytics as customer_analytics_activities
from activities import installation as installation_activities
from activities import inventory_planning as inventory_planning_activities
from activities import monitoring as monitoring_activities
from activities import snapshots as snapshot_activities
from activities import sync as sync_activities
from activities import tokens as token_activities
from workflows.queues import Queue

ACTIVITIES: dict[Queue, list[Callable[..., Any]]] = {
    Queue.SYSTEM: [system.check_dependencies],
    Queue.MAINTENANCE: [
        partitions.plan_partition_maintenance,
        partitions.ensure_partition,
        partitions.drain_default_to_archive,
        partitions.start_maintenance_run,
        partitions.finish_maintenance_run,
        archive.archive_quarter,
        archive.restore_quarter,
        legacy_migration.prepare_legacy_migration,
        legacy_migration.copy_legacy_batches,
        legacy_migration.replay_legacy_changes,
        legacy_migration.verify_legacy_migration,
        legacy_migration.swap_legacy_table,
    ],
}
ACTIVITIES.setdefault(Queue.MAINTENANCE, []).extend([*backups.ACTIVITIES, *pitr_base.ACTIVITIES, *integrity.ACTIVITIES, *cleanup.ACTIVITIES])
ACTIVITIES[Queue.SNAPSHOTS] = [
    snapshot_activities.mark_run_started,
    snapshot_activities.request_snapshot_job,
    snapshot_activities.check_snapshot_job,
    snapshot_activities.download_result,
    snapshot_activities.reuse_result_file,
    snapshot_activities.ingest_chunk,
    snapshot_activities.finish_run,
    snapshot_activities.fail_run,
    snapshot_activities.plan_snapshot_retries,
]
ACTIVITIES.setdefault(Queue.TOKENS, []).extend([*token_activities.ACTIVITIES, *installation_activities.ACTIVITIES])
ACTIVITIES.setdefault(Queue.SYNC, []).extend(sync_activities.ACTIVITIES)
ACTIVITIES.setdefault(Queue.ANALYTICS, []).extend(customer_analytics_activities.ACTIVITIES)
ACTIVITIES.setdefault(Queue.SYSTEM, []).extend(monitoring_activities.ACTIVITIES)
ACTIVITIES.setdefault(Queue.ANALYTICS, []).extend(inventory_planning_activities.ACTIVITIES)
