"""PitrBaseBackupWorkflow: keep point-in-time recovery able to restore, without filling the disk.

WAL archiving alone cannot restore anything: recovery needs a base backup to roll the archived
WAL forward from, and every segment since the oldest kept base backup. The schedule
`maint:pitr-base` runs this daily; it takes a base backup when the newest is older than the
setting `pitr.base_backup_interval_days`, keeps the newest `pitr.keep_base_backups`, and removes
the WAL segments no kept base backup needs. On a server without WAL archiving it does nothing
and says so (monitoring shows PITR as not set up).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows import activity_names as act
from workflows.common import SHORT_RETRY

WORKFLOW_ID = "maint:pitr-base"


@dataclass(frozen=True)
class PitrBaseRequest:
    force: bool = False  # take a base backup even when the newest is recent


@dataclass(frozen=True)
class PitrPlan:
    archiving: bool
    due: bool
    reason: str
    newest: str | None = None  # label of the newest kept base backup


@dataclass(frozen=True)
class PitrBaseResult:
    label: str
    bytes: int
    start_wal: str
    seconds: float


@dataclass(frozen=True)
class PitrPruneResult:
    deleted: list[str] = field(default_factory=list[str])  # base backup labels removed
    kept: list[str] = field(default_factory=list[str])
    wal_removed: int = 0
    oldest_needed_wal: str | None = None


@dataclass(frozen=True)
class PitrReport:
    plan: PitrPlan
    base: PitrBaseResult | None
    pruned: PitrPruneResult | None


@dataclass
class PitrProgress:
    phase: str = "planning"  # planning | skipped | base_backup | pruning | done
    reason: str = ""


BASE_RETRY = RetryPolicy(maximum_attempts=3, initial_interval=timedelta(minutes=5))


@workflow.defn
class PitrBaseBackupWorkflow:
    def __init__(self) -> None:
        self._progress = PitrProgress()

    @workflow.query
    def progress(self) -> PitrProgress:
        return self._progress

    @workflow.run
    async def run(self, req: PitrBaseRequest | None = None) -> PitrReport:
        req = req or PitrBaseRequest()  # schedules start it without arguments
        plan = await workflow.execute_activity(
            act.PLAN_PITR_BASE_BACKUP,
            req,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=SHORT_RETRY,
            result_type=PitrPlan,
        )
        self._progress.reason = plan.reason
        if not plan.archiving:
            self._progress.phase = "skipped"
            return PitrReport(plan=plan, base=None, pruned=None)
        base = None
        if plan.due:
            self._progress.phase = "base_backup"
            base = await workflow.execute_activity(
                act.TAKE_PITR_BASE_BACKUP,
                start_to_close_timeout=timedelta(hours=12),
                heartbeat_timeout=timedelta(minutes=2),
                retry_policy=BASE_RETRY,
                result_type=PitrBaseResult,
            )
        self._progress.phase = "pruning"
        pruned = await workflow.execute_activity(
            act.PRUNE_PITR,
            start_to_close_timeout=timedelta(minutes=30),
            heartbeat_timeout=timedelta(minutes=2),
            retry_policy=SHORT_RETRY,
            result_type=PitrPruneResult,
        )
        self._progress.phase = "done"
        return PitrReport(plan=plan, base=base, pruned=pruned)
