"""A workflow that fails while its activity is broken, for the failed-run tests (kept in a module
of its own so the workflow sandbox imports nothing but Temporal)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy

TEST_QUEUE = "monitoring-test"
BROKEN = {"on": True}


@activity.defn
async def ship_parcel(order: str) -> str:
    if BROKEN["on"]:
        raise RuntimeError(f"carrier API refused parcel for order {order}")
    return f"shipped {order}"


@workflow.defn
class ShipOrderWorkflow:
    @workflow.run
    async def run(self, order: str) -> str:
        return await workflow.execute_activity(
            ship_parcel, order, start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(maximum_attempts=1),
        )
