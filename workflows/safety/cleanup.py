"""CleanupWorkflow: delete what is past its retention, kind by kind, in short batches.

Retention per kind is a setting (`retention.<kind>_days`); the schedule `maint:cleanup` runs
it daily. A kind that fails does not stop the others; the run still fails at the end so the
failure is visible in Temporal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from workflows import activity_names as act
from workflows.common import QUICK_RETRY

WORKFLOW_ID = "maint:cleanup"
KINDS = ("notifications", "webhook_events", "snapshot_files", "snapshot_rejects")
# kinds added after runs were recorded, each behind a patch id so old histories still replay
ADDED_KINDS = {
    "sync_rejects": "cleanup-sync-rejects",
    "export_files": "cleanup-export-files",
    # sent e-mails, outbound deliveries, reports and expired export rows (RETENTION_*_DAYS)
    "sent_mails": "cleanup-retention-1900",
    "webhook_deliveries": "cleanup-retention-1900",
    "reports": "cleanup-retention-1900",
    "export_rows": "cleanup-retention-1900",
}


@dataclass(frozen=True)
class CleanupRequest:
    kinds: list[str] = field(default_factory=lambda: list(KINDS))


@dataclass(frozen=True)
class CleanupResult:
    kind: str
    retention_days: int
    cutoff: str  # ISO time: everything older is gone
    deleted: int
    batches: int
    bytes_freed: int = 0


@dataclass(frozen=True)
class CleanupReport:
    results: list[CleanupResult]
    failed: dict[str, str] = field(default_factory=dict[str, str])


@workflow.defn
class CleanupWorkflow:
    def __init__(self) -> None:
        self._done: list[CleanupResult] = []

    @workflow.query
    def progress(self) -> list[CleanupResult]:
        return self._done

    @workflow.run
    async def run(self, req: CleanupRequest | None = None) -> CleanupReport:
        kinds = list((req or CleanupRequest()).kinds)
        if req is None:
            kinds += [kind for kind, patch in ADDED_KINDS.items() if workflow.patched(patch)]
        failed: dict[str, str] = {}
        for kind in kinds:
            try:
                result = await workflow.execute_activity(
                    act.CLEAN_UP,
                    kind,
                    start_to_close_timeout=timedelta(hours=2),
                    heartbeat_timeout=timedelta(minutes=2),
                    retry_policy=QUICK_RETRY,
                    result_type=CleanupResult,
                )
            except ActivityError as exc:
                failed[kind] = str(exc.cause or exc)
                continue
            self._done.append(result)
        if failed:
            raise ApplicationError(f"cleanup failed for {sorted(failed)}: {failed}", failed)
        return CleanupReport(results=self._done, failed=failed)
