"""SystemCheckWorkflow: proves a worker can reach PostgreSQL and Redis (used by health and tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy


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
            "check_dependencies",
            start_to_close_timeout=timedelta(seconds=20),
            retry_policy=RetryPolicy(maximum_attempts=3),
            result_type=DependencyReport,
        )
