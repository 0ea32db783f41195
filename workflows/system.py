"""SystemCheckWorkflow: proves a worker can reach PostgreSQL and Redis (used by health and tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow

from workflows import activity_names as act
from workflows.common import QUICK_RETRY


@dataclass(frozen=True)
class DependencyReport:
    database: str
    redis: str
    shops: int
    worker: str


@workflow.defn
class SystemCheckWorkflow:
    @workflow.run
    async def run(self) -> DependencyReport:
        return await workflow.execute_activity(
            act.CHECK_DEPENDENCIES,
            start_to_close_timeout=timedelta(seconds=20),
            retry_policy=QUICK_RETRY,
            result_type=DependencyReport,
        )
