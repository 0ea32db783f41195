"""Which workflow classes each task queue's worker runs."""

from __future__ import annotations

from workflows.channels import ChannelStockPushWorkflow, ChannelSyncWorkflow
from workflows.customers import CustomerAnalyticsNightlyWorkflow, CustomerAnalyticsWorkflow
from workflows.exports import DataExportWorkflow
from workflows.feeds import FeedsWorkflow
from workflows.installation import InstallationWorkflow
from workflows.inventory import InventoryNightlyWorkflow, InventoryWorkflow
from workflows.maintenance.legacy_migration import LegacyMigrationWorkflow
from workflows.maintenance.partitions import ArchiveRestoreWorkflow, PartitionMaintenanceWorkflow
from workflows.metering import UsageFlushWorkflow
from workflows.monitoring import MonitoringChecksWorkflow, MonitoringSnapshotWorkflow
from workflows.notifications import NotificationDeliveryWorkflow, OutgoingMailWorkflow
from workflows.outbound_webhooks import OutboundDeliveryWorkflow
from workflows.queues import Queue
from workflows.reports import WeeklyReportWorkflow
from workflows.safety.backups import BackupWorkflow
from workflows.safety.cleanup import CleanupWorkflow
from workflows.safety.integrity import IntegrityWorkflow
from workflows.safety.pitr import PitrBaseBackupWorkflow
from workflows.snapshots import SnapshotSweepWorkflow, SnapshotWorkflow
from workflows.sync import SyncWorkflow
from workflows.system import SystemCheckWorkflow
from workflows.tokens import ShopTokenWorkflow

WORKFLOWS: dict[Queue, list[type]] = {
    Queue.SYSTEM: [SystemCheckWorkflow],
    Queue.MAINTENANCE: [PartitionMaintenanceWorkflow, ArchiveRestoreWorkflow, LegacyMigrationWorkflow],
}
WORKFLOWS.setdefault(Queue.MAINTENANCE, []).extend([BackupWorkflow, PitrBaseBackupWorkflow, IntegrityWorkflow, CleanupWorkflow])
WORKFLOWS[Queue.SNAPSHOTS] = [SnapshotWorkflow, SnapshotSweepWorkflow]
WORKFLOWS.setdefault(Queue.TOKENS, []).extend([ShopTokenWorkflow, InstallationWorkflow])
WORKFLOWS.setdefault(Queue.SYNC, []).append(SyncWorkflow)
WORKFLOWS[Queue.SYNC].extend([ChannelSyncWorkflow, ChannelStockPushWorkflow])
WORKFLOWS.setdefault(Queue.ANALYTICS, []).extend([CustomerAnalyticsWorkflow, CustomerAnalyticsNightlyWorkflow])
WORKFLOWS.setdefault(Queue.SYSTEM, []).extend([MonitoringSnapshotWorkflow, MonitoringChecksWorkflow])
WORKFLOWS.setdefault(Queue.ANALYTICS, []).extend([InventoryWorkflow, InventoryNightlyWorkflow])
WORKFLOWS.setdefault(Queue.EXPORTS, []).extend([DataExportWorkflow, FeedsWorkflow])
WORKFLOWS.setdefault(Queue.WEBHOOKS, []).append(OutboundDeliveryWorkflow)
# notifications delivery, e-mail and usage counters; the weekly reports on their own queue
WORKFLOWS.setdefault(Queue.NOTIFICATIONS, []).extend([NotificationDeliveryWorkflow, OutgoingMailWorkflow, UsageFlushWorkflow])
WORKFLOWS.setdefault(Queue.REPORTS, []).append(WeeklyReportWorkflow)
