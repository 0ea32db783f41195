"""Usage counters from Redis into `usage_daily` every few minutes (see `db.metering`)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

from workflows import activity_names as act
from workflows.common import QUICK_RETRY


@workflow.defn
class UsageFlushWorkflow:
    @workflow.run
    async def run(self) -> int:
        return await workflow.execute_activity(
            act.FLUSH_USAGE_COUNTERS,
            result_type=int,
            start_to_close_timeout=timedelta(minutes=2),
            retry_policy=QUICK_RETRY,
        )

