"""Monitoring workflows: a snapshot of database statistics every 5 minutes (pg_stat_statements
deltas, hourly table sizes, pruning past the retention) and, every minute, the evaluation of
every check, which opens and resolves alerts. They run on the system queue, so a flood on the
maintenance or snapshot queues cannot silence the alerts about it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow

from workflows import activity_names as act
from workflows.common import ONE_RETRY, QUICK_RETRY

SNAPSHOT_WORKFLOW_ID = "monitoring:snapshot"
CHECKS_WORKFLOW_ID = "monitoring:checks"


@dataclass(frozen=True)
class StatsSnapshot:
    statements: int  # statements with new calls since the previous snapshot
    statements_problem: str | None  # why pg_stat_statements could not be read
    sizes: int  # table size rows captured (0 when the last capture is under an hour old)


@dataclass(frozen=True)
class Pruned:
    rows: dict[str, int] = field(default_factory=dict[str, int])


@dataclass(frozen=True)
class SnapshotOutcome:
    snapshot: StatsSnapshot
    pruned: Pruned


@dataclass(frozen=True)
class Evaluation:
    state: str  # the worst state of all checks
    critical: list[str] = field(default_factory=list[str])
    opened: list[str] = field(default_factory=list[str])  # alerts raised by this evaluation
    resolved: list[str] = field(default_factory=list[str])
    unavailable: list[str] = field(default_factory=list[str])


@workflow.defn
class MonitoringSnapshotWorkflow:
    @workflow.run
    async def run(self) -> SnapshotOutcome:
        snapshot = await workflow.execute_activity(
            act.SNAPSHOT_DATABASE_STATS,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=QUICK_RETRY,
            result_type=StatsSnapshot,
        )
        pruned = await workflow.execute_activity(
            act.PRUNE_MONITORING_DATA,
            start_to_close_timeout=timedelta(minutes=5),
            retry_policy=QUICK_RETRY,
            result_type=Pruned,
        )
        return SnapshotOutcome(snapshot, pruned)


@workflow.defn
class MonitoringChecksWorkflow:
    @workflow.run
    async def run(self) -> Evaluation:
        return await workflow.execute_activity(
            act.EVALUATE_MONITORING_CHECKS,
            start_to_close_timeout=timedelta(seconds=50),
            retry_policy=ONE_RETRY,
            result_type=Evaluation,
        )
