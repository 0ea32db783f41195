"""A worker process for the graceful-drain test: a long heartbeating activity that resumes from
its heartbeat, served by infra.worker.serve_until_signal (the production SIGTERM path).

    python -m tests.deploy.drain_worker <name> <task queue>

Registered only here: the app's workers never see this workflow or activity.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import RetryPolicy

STEP_S = 0.05
HOLD_AT = 10


@activity.defn(name="DrainTestCount")
async def count_items(total: int, key: str) -> int:
    """Process items 0..total-1, one per step, recording who did which; a retry starts from the
    last heartbeat, so a drained worker's work is picked up where it stopped."""
    import redis

    r = redis.Redis.from_url(os.environ["REDIS_URL"])
    info = activity.info()
    start = int(info.heartbeat_details[0]) if info.heartbeat_details else 0
    me = os.environ["DRAIN_WORKER_NAME"]
    r.rpush(f"{key}:attempts", f"{me}:{start}")
    for i in range(start, total):
        # worker A stalls after HOLD_AT items (a slow item), so it is surely mid-activity when
        # SIGTERM comes, however slow the machine; it keeps heartbeating its position
        while me == "A" and i >= HOLD_AT:
            activity.heartbeat(i)
            await asyncio.sleep(STEP_S)
        await asyncio.sleep(STEP_S)
        r.hset(f"{key}:items", str(i), me)
        activity.heartbeat(i + 1)
    return total


@workflow.defn(name="DrainTestWorkflow")
class DrainTestWorkflow:
    @workflow.run
    async def run(self, total: int, key: str) -> int:
        return await workflow.execute_activity(
            count_items,
            args=[total, key],
            start_to_close_timeout=timedelta(minutes=5),
            heartbeat_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_attempts=5),
        )


async def main(name: str, queue: str) -> None:
    import redis
    from temporalio.worker import Worker

    from db.config import get_settings
    from infra.temporal_client import connect
    from infra.worker import serve_until_signal

    os.environ["DRAIN_WORKER_NAME"] = name
    client = await connect()
    worker = Worker(
        client,
        task_queue=queue,
        workflows=[DrainTestWorkflow],
        activities=[count_items],
        identity=f"drain-{name}",
        graceful_shutdown_timeout=timedelta(seconds=get_settings().worker_shutdown_seconds),
    )
    redis.Redis.from_url(os.environ["REDIS_URL"]).set(f"{queue}:ready:{name}", 1)
    await serve_until_signal(client, [worker])


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
    sys.stdout.flush()
    os._exit(0)  # the SDK can abort while the interpreter finalizes (see api/cli main)
