"""Partition lifecycle: premade quarters, an empty default partition, retention to the archive.

`PartitionMaintenanceWorkflow` (`maint:partitions`, daily) plans from the catalog in one
activity, then runs each task as its own idempotent activity, so a crash anywhere resumes by
re-running: every task re-reads where its partition is and does only what is left. The same
workflow with `steps=["retention"]` is the on-demand archive run (`maint:archive`);
`ArchiveRestoreWorkflow` brings one quarter back. Each run is recorded in `maintenance_runs`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

from workflows import activity_names as act

STEPS = ("premake", "drain", "retention", "statistics")
VERIFICATION_FAILED = "VerificationFailed"
BAD_REQUEST = "BadMaintenanceRequest"

# Lock waits are retried inside the activity; this policy covers whatever is left (a busy
# table for minutes, a restarted database). A failed verification is never retried.
MAINTENANCE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=10),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=6,
    non_retryable_error_types=[VERIFICATION_FAILED, BAD_REQUEST],
)
SHORT = timedelta(seconds=30)
LONG = timedelta(minutes=30)
HEARTBEAT = timedelta(seconds=60)


@dataclass(frozen=True)
class MaintenanceRequest:
    steps: list[str] = field(default_factory=lambda: list(STEPS))
    as_of: str | None = None  # ISO date the run acts as of; default: the day the run starts
    future_quarters: int | None = None  # default: setting partitions.future_quarters
    retention_days: int | None = None  # default: setting archive.retention_days
    batch_rows: int = 5000
    lock_timeout_ms: int = 1000
    lock_attempts: int = 5


@dataclass(frozen=True)
class PlanRequest:
    steps: list[str]
    as_of: str
    future_quarters: int | None = None
    retention_days: int | None = None


@dataclass(frozen=True)
class PartitionTask:
    action: str  # ensure_partition | archive_quarter | drain_default_to_archive | analyze_parent
    quarter: str  # "" for analyze_parent (the table as a whole)
    table: str | None = None  # None: every partitioned table (a quarter moves as a whole)
    target: str | None = None  # parent the partition ends up attached to
    reason: str = ""  # future | strays | orphan | retention | statistics


@dataclass(frozen=True)
class MaintenancePlan:
    as_of: str
    cutoff: str  # quarters ending on or before this instant belong in the archive
    future_quarters: int
    retention_days: int
    default_rows: dict[str, int]  # rows found in each default partition
    tasks: list[PartitionTask]


@dataclass(frozen=True)
class TaskInput:
    task: PartitionTask
    maintenance_run_id: int
    batch_rows: int = 5000
    lock_timeout_ms: int = 1000
    lock_attempts: int = 5


@dataclass(frozen=True)
class Action:
    """What one activity did; the list of them is the run's record."""

    action: str
    quarter: str
    table: str
    target: str = ""
    rows: int = 0
    detail: str = ""


@dataclass(frozen=True)
class RunStart:
    kind: str
    workflow_id: str
    run_id: str
    params: dict[str, Any]


@dataclass(frozen=True)
class RunFinish:
    maintenance_run_id: int
    status: str  # completed | failed
    actions: list[Action]
    error: str | None = None


@dataclass
class MaintenanceProgress:
    phase: str = "starting"  # starting | planning | running | done | failed
    maintenance_run_id: int | None = None
    tasks_total: int = 0
    tasks_done: int = 0
    current: str | None = None
    actions: list[Action] = field(default_factory=list[Action])


@dataclass(frozen=True)
class MaintenanceReport:
    maintenance_run_id: int
    as_of: str
    cutoff: str
    default_rows: dict[str, int]
    actions: list[Action]


@dataclass(frozen=True)
class RestoreRequest:
    quarter: str  # e.g. 2023q1
    hold_days: int = 30  # retention leaves the restored quarter hot this long
    lock_timeout_ms: int = 1000
    lock_attempts: int = 5


@dataclass(frozen=True)
class RestoreInput:
    quarter: str
    held_until: str  # ISO instant
    maintenance_run_id: int
    lock_timeout_ms: int = 1000
    lock_attempts: int = 5


def _error_text(exc: BaseException) -> str:
    cause = exc.cause if isinstance(exc, ActivityError) and exc.cause else exc
    return str(cause)


async def _record_start(kind: str, params: dict[str, Any]) -> int:
    info = workflow.info()
    return await workflow.execute_activity(
        act.START_MAINTENANCE_RUN,
        RunStart(kind, info.workflow_id, info.run_id, params),
        start_to_close_timeout=SHORT,
        retry_policy=MAINTENANCE_RETRY,
        result_type=int,
    )


async def _record_finish(
    run_id: int, status: str, actions: list[Action], error: str | None
) -> None:
    await workflow.execute_activity(
        act.FINISH_MAINTENANCE_RUN,
        RunFinish(run_id, status, actions, error),
        start_to_close_timeout=SHORT,
        retry_policy=MAINTENANCE_RETRY,
    )


@workflow.defn
class PartitionMaintenanceWorkflow:
    def __init__(self) -> None:
        self._progress = MaintenanceProgress()

    @workflow.query
    def progress(self) -> MaintenanceProgress:
        return self._progress

    @workflow.run
    async def run(self, req: MaintenanceRequest | None = None) -> MaintenanceReport:
        req = req or MaintenanceRequest()
        unknown = sorted(set(req.steps) - set(STEPS))
        if unknown or not req.steps:
            raise ApplicationError(
                f"unknown maintenance steps {unknown or req.steps}; choose from {', '.join(STEPS)}",
                type=BAD_REQUEST,
                non_retryable=True,
            )
        as_of = req.as_of or workflow.now().date().isoformat()
        kind = "archive" if req.steps == ["retention"] else "partitions"
        params: dict[str, Any] = {"steps": req.steps, "as_of": as_of}
        run_id = await _record_start(kind, params)
        self._progress.maintenance_run_id = run_id
        try:
            self._progress.phase = "planning"
            plan: MaintenancePlan = await workflow.execute_activity(
                act.PLAN_PARTITION_MAINTENANCE,
                PlanRequest(req.steps, as_of, req.future_quarters, req.retention_days),
                start_to_close_timeout=LONG,
                heartbeat_timeout=HEARTBEAT,
                retry_policy=MAINTENANCE_RETRY,
                result_type=MaintenancePlan,
            )
            self._progress.phase = "running"
            self._progress.tasks_total = len(plan.tasks)
            for task in plan.tasks:
                self._progress.current = f"{task.action} {task.table or 'all'} {task.quarter}"
                action: Action = await workflow.execute_activity(
                    task.action,
                    TaskInput(task, run_id, req.batch_rows, req.lock_timeout_ms, req.lock_attempts),
                    start_to_close_timeout=LONG,
                    heartbeat_timeout=HEARTBEAT,
                    retry_policy=MAINTENANCE_RETRY,
                    result_type=Action,
                )
                self._progress.actions.append(action)
                self._progress.tasks_done += 1
        except ActivityError as exc:
            self._progress.phase = "failed"
            await _record_finish(run_id, "failed", self._progress.actions, _error_text(exc))
            raise
        self._progress.current = None
        await _record_finish(run_id, "completed", self._progress.actions, None)
        self._progress.phase = "done"
        return MaintenanceReport(
            run_id, as_of, plan.cutoff, plan.default_rows, self._progress.actions
        )


@workflow.defn
class ArchiveRestoreWorkflow:
    """Bring one quarter of orders and items back from the archive (a metadata move)."""

    def __init__(self) -> None:
        self._progress = MaintenanceProgress()

    @workflow.query
    def progress(self) -> MaintenanceProgress:
        return self._progress

    @workflow.run
    async def run(self, req: RestoreRequest) -> MaintenanceReport:
        held_until = workflow.now() + timedelta(days=req.hold_days)
        run_id = await _record_start(
            "restore", {"quarter": req.quarter, "hold_days": req.hold_days}
        )
        self._progress.maintenance_run_id = run_id
        self._progress.phase = "running"
        self._progress.tasks_total = 1
        self._progress.current = f"restore {req.quarter}"
        try:
            actions: list[Action] = await workflow.execute_activity(
                act.RESTORE_QUARTER,
                RestoreInput(
                    req.quarter,
                    held_until.isoformat(),
                    run_id,
                    req.lock_timeout_ms,
                    req.lock_attempts,
                ),
                start_to_close_timeout=LONG,
                heartbeat_timeout=HEARTBEAT,
                retry_policy=MAINTENANCE_RETRY,
                result_type=list[Action],
            )
        except ActivityError as exc:
            self._progress.phase = "failed"
            await _record_finish(run_id, "failed", [], _error_text(exc))
            raise
        self._progress.actions = actions
        self._progress.tasks_done = 1
        self._progress.current = None
        await _record_finish(run_id, "completed", actions, None)
        self._progress.phase = "done"
        today = workflow.now().date().isoformat()
        return MaintenanceReport(run_id, today, "", {}, actions)
