"""The names of the activities workflows call, one typed constant each.

Workflows refer to activities by these names rather than by importing the functions: the
activity modules import the database, HTTP and file layers, and the import contract "workflows
do no I/O" keeps `workflows` from importing `activities` at all (import-linter reads the import
statically, so `workflow.unsafe.imports_passed_through()` would not change its verdict).
`tests/foundation/test_activity_names.py` proves each name is an activity some worker runs and
that no workflow spells one as a string literal.
"""

from __future__ import annotations

from typing import Final

# activities.queue_ping (every queue)
QUEUE_PING: Final = "queue_ping"

# activities.system
CHECK_DEPENDENCIES: Final = "check_dependencies"

# activities.monitoring
SNAPSHOT_DATABASE_STATS: Final = "snapshot_database_stats"
PRUNE_MONITORING_DATA: Final = "prune_monitoring_data"
EVALUATE_MONITORING_CHECKS: Final = "evaluate_monitoring_checks"

# activities.maintenance.partitions
PLAN_PARTITION_MAINTENANCE: Final = "plan_partition_maintenance"
ENSURE_PARTITION: Final = "ensure_partition"
ANALYZE_PARENT: Final = "analyze_parent"
DRAIN_DEFAULT_TO_ARCHIVE: Final = "drain_default_to_archive"
START_MAINTENANCE_RUN: Final = "start_maintenance_run"
FINISH_MAINTENANCE_RUN: Final = "finish_maintenance_run"

# activities.maintenance.archive
ARCHIVE_QUARTER: Final = "archive_quarter"
RESTORE_QUARTER: Final = "restore_quarter"

# activities.maintenance.legacy_migration
PREPARE_LEGACY_MIGRATION: Final = "prepare_legacy_migration"
COPY_LEGACY_BATCHES: Final = "copy_legacy_batches"
REPLAY_LEGACY_CHANGES: Final = "replay_legacy_changes"
VERIFY_LEGACY_MIGRATION: Final = "verify_legacy_migration"
SWAP_LEGACY_TABLE: Final = "swap_legacy_table"

# activities.safety.backups
CREATE_BACKUP: Final = "create_backup"
RECORD_BACKUP_FAILURE: Final = "record_backup_failure"
PRUNE_BACKUPS: Final = "prune_backups"
NEWEST_BACKUP: Final = "newest_backup"
VERIFICATION_DUE: Final = "verification_due"
VERIFY_BACKUP: Final = "verify_backup"

# activities.safety.pitr_base
PLAN_PITR_BASE_BACKUP: Final = "plan_pitr_base_backup"
TAKE_PITR_BASE_BACKUP: Final = "take_pitr_base_backup"
PRUNE_PITR: Final = "prune_pitr"

# activities.safety.integrity
START_INTEGRITY_RUN: Final = "start_integrity_run"
RUN_INTEGRITY_CHECK: Final = "run_integrity_check"
RECORD_CHECK_ERROR: Final = "record_check_error"
FINISH_INTEGRITY_RUN: Final = "finish_integrity_run"

# activities.safety.cleanup
CLEAN_UP: Final = "clean_up"

# activities.snapshots.pipeline
MARK_RUN_STARTED: Final = "mark_run_started"
REQUEST_SNAPSHOT_JOB: Final = "request_snapshot_job"
CHECK_SNAPSHOT_JOB: Final = "check_snapshot_job"
DOWNLOAD_RESULT: Final = "download_result"
REUSE_RESULT_FILE: Final = "reuse_result_file"
INGEST_CHUNK: Final = "ingest_chunk"
FINISH_RUN: Final = "finish_run"
FAIL_RUN: Final = "fail_run"
PLAN_SNAPSHOT_RETRIES: Final = "plan_snapshot_retries"

# activities.search.bulk (indexing queue)
INDEX_SNAPSHOT: Final = "index_snapshot"

# activities.tokens
READ_TOKEN_META: Final = "read_token_meta"
MINT_API_TOKEN: Final = "mint_api_token"

# activities.installation
REDEEM_INSTALL_CODE: Final = "redeem_install_code"
CONFIGURE_WEBHOOKS: Final = "configure_webhooks"
ACTIVATE_SHOP: Final = "activate_shop"

# activities.sync
PLAN_SYNC: Final = "plan_sync"
SYNC_CHANGES: Final = "sync_changes"
SYNC_STOCK: Final = "sync_stock"
RECONCILE: Final = "reconcile"
FINISH_SYNC: Final = "finish_sync"
RECORD_SYNC_ERROR: Final = "record_sync_error"

# activities.customers.pipeline
PLAN_CUSTOMER_ANALYTICS: Final = "plan_customer_analytics"
START_CUSTOMER_RUN: Final = "start_customer_run"
ESTIMATE_PRICE_SENSITIVITY: Final = "estimate_price_sensitivity"
SUMMARISE_CUSTOMER_CHUNK: Final = "summarise_customer_chunk"
FIT_CUSTOMER_MODELS: Final = "fit_customer_models"
MINE_ITEM_RULES: Final = "mine_item_rules"
FINISH_CUSTOMER_RUN: Final = "finish_customer_run"

# activities.inventory.planning
PLAN_INVENTORY_NIGHTLY: Final = "plan_inventory_nightly"
START_INVENTORY_RUN: Final = "start_inventory_run"
SNAPSHOT_STOCK: Final = "snapshot_stock"
IMPORT_INVENTORY_WEATHER: Final = "import_inventory_weather"
FORECAST_INVENTORY_CHUNK: Final = "forecast_inventory_chunk"
PLAN_INVENTORY_PURCHASES: Final = "plan_inventory_purchases"
NOTIFY_INVENTORY_ANOMALIES: Final = "notify_inventory_anomalies"
FINISH_INVENTORY_RUN: Final = "finish_inventory_run"

# activities.channels.feeds
GENERATE_FEEDS: Final = "generate_feeds"
# activities.notifications
DELIVER_NOTIFICATIONS: Final = "deliver_notifications"
SEND_OUTGOING_MAIL: Final = "send_outgoing_mail"

# activities.reports
COLLECT_WEEKLY_REPORT: Final = "collect_weekly_report"
SUMMARIZE_REPORT: Final = "summarize_report"
RENDER_REPORT: Final = "render_report"
EMAIL_REPORT: Final = "email_report"
MISSED_REPORT_WEEKS: Final = "missed_report_weeks"

# activities.metering
FLUSH_USAGE_COUNTERS: Final = "flush_usage_counters"
# activities.channels.sync
BEGIN_CHANNEL_SYNC: Final = "begin_channel_sync"
IMPORT_CHANNEL_ORDERS_PAGE: Final = "import_channel_orders_page"
RECORD_CHANNEL_LISTINGS_PAGE: Final = "record_channel_listings_page"
PUSH_CHANNEL_STOCK_BATCH: Final = "push_channel_stock_batch"
FINISH_CHANNEL_SYNC: Final = "finish_channel_sync"
PUSH_CHANNEL_CATALOG_BATCH: Final = "push_channel_catalog_batch"
# activities.exports
START_EXPORT: Final = "start_export"
WRITE_EXPORT: Final = "write_export"
FAIL_EXPORT: Final = "fail_export"

# activities.outbound_webhooks
ATTEMPT_WEBHOOK_DELIVERY: Final = "attempt_webhook_delivery"
FINISH_WEBHOOK_DELIVERY: Final = "finish_webhook_delivery"
