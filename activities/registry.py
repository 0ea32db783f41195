"""Which activities each task queue's worker runs.

A queue's modules are imported only when a worker for that queue is built: the analytics
activities pull in numpy, pandas, scipy and statsforecast (about 220 MB resident), which a
worker serving only snapshots, sync or maintenance never needs to hold.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workflows.queues import Queue

Activity = Callable[..., Any]


def _system() -> list[Activity]:
    from activities import monitoring, system

    return [system.check_dependencies, *monitoring.ACTIVITIES]


def _maintenance() -> list[Activity]:
    from activities.maintenance import archive, legacy_migration, partitions
    from activities.safety import backups, cleanup, integrity, pitr_base

    return [
        partitions.plan_partition_maintenance,
        partitions.ensure_partition,
        partitions.analyze_parent,
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
        *backups.ACTIVITIES,
        *pitr_base.ACTIVITIES,
        *integrity.ACTIVITIES,
        *cleanup.ACTIVITIES,
    ]


def _snapshots() -> list[Activity]:
    from activities.snapshots import pipeline as snapshots

    return [
        snapshots.mark_run_started,
        snapshots.request_snapshot_job,
        snapshots.check_snapshot_job,
        snapshots.download_result,
        snapshots.reuse_result_file,
        snapshots.ingest_chunk,
        snapshots.finish_run,
        snapshots.fail_run,
        snapshots.plan_snapshot_retries,
    ]


def _tokens() -> list[Activity]:
    from activities import installation, tokens

    return [*tokens.ACTIVITIES, *installation.ACTIVITIES]


def _sync() -> list[Activity]:
    from activities import sync
    from activities.channels import sync as channels

    return [*sync.ACTIVITIES, *channels.ACTIVITIES]


def _analytics() -> list[Activity]:
    from activities.customers import pipeline as customers_pipeline
    from activities.inventory import planning as inventory_planning

    return [*customers_pipeline.ACTIVITIES, *inventory_planning.ACTIVITIES]


def _exports() -> list[Activity]:
    from activities import exports
    from activities.channels.feeds import generate

    return [*exports.ACTIVITIES, *generate.ACTIVITIES]


def _notifications() -> list[Activity]:
    from activities import metering
    from activities.notifications import delivery, outbox

    return [*delivery.ACTIVITIES, *outbox.ACTIVITIES, *metering.ACTIVITIES]


def _reports() -> list[Activity]:
    from activities.reports import steps

    return list(steps.ACTIVITIES)


def _webhooks() -> list[Activity]:
    from activities import outbound_webhooks

    return list(outbound_webhooks.ACTIVITIES)


def _indexing() -> list[Activity]:
    from activities.search import bulk

    return list(bulk.ACTIVITIES)


_BY_QUEUE: dict[Queue, Callable[[], list[Activity]]] = {
    Queue.SYSTEM: _system,
    Queue.MAINTENANCE: _maintenance,
    Queue.SNAPSHOTS: _snapshots,
    Queue.TOKENS: _tokens,
    Queue.SYNC: _sync,
    Queue.ANALYTICS: _analytics,
    Queue.EXPORTS: _exports,
    Queue.NOTIFICATIONS: _notifications,
    Queue.REPORTS: _reports,
    Queue.WEBHOOKS: _webhooks,
    Queue.INDEXING: _indexing,
}


def activities_for(queue: Queue) -> list[Activity]:
    """The activities a worker of `queue` runs (importing only their modules)."""
    from activities.queue_ping import queue_ping

    load = _BY_QUEUE.get(queue)
    return [*(load() if load else []), queue_ping]


def __getattr__(name: str) -> Any:
    if name == "ACTIVITIES":  # every queue at once, for tests that build their own workers
        return {queue: activities_for(queue) for queue in Queue}
    raise AttributeError(f"module 'activities.registry' has no attribute {name!r}")
