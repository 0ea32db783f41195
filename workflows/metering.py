"""Usage counters from Redis into `usage_daily` every few minutes (see `db.metering`)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

from workflows import activity_names as act
from workflows.common import QUICK_RETRY
from workflows.queues import Queue
from workflows.schedules import APP_SCHEDULES, ScheduleDecl


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


APP_SCHEDULES.append(ScheduleDecl("usage:flush", "UsageFlushWorkflow", "usage:flush", Queue.NOTIFICATIONS, every=timedelta(minutes=5), note="copy the day's metered-call counters from Redis into usage_daily (history for the usage pages)"))
