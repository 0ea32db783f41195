"""The backlog of a worker's task queues as a Prometheus gauge, so an autoscaler can add workers
to the queue that falls behind (infra/deploy/k8s/*-hpa: `shopops_task_queue_backlog`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from temporalio.api.enums.v1 import TaskQueueKind, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from infra.telemetry.metrics import QUEUE_BACKLOG

log = logging.getLogger(__name__)
KINDS = {
    "workflow": TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    "activity": TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
}


async def queue_backlog(client: Client, queue: str, kind: str) -> int:
    response = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=queue, kind=TaskQueueKind.TASK_QUEUE_KIND_NORMAL),
            task_queue_type=KINDS[kind],
            report_stats=True,
        )
    )
    return int(response.stats.approximate_backlog_count)


async def publish_once(client: Client, queues: Iterable[str]) -> None:
    for queue in queues:
        for kind in KINDS:
            QUEUE_BACKLOG.labels(queue, kind).set(await queue_backlog(client, queue, kind))


async def publish_forever(client: Client, queues: list[str], interval_s: float) -> None:
    """Refresh the gauge every `interval_s`; a failed describe keeps the last value and logs."""
    while True:
        try:
            await publish_once(client, queues)
        except Exception as exc:
            log.warning("task queue backlog not refreshed: %s", exc)
        await asyncio.sleep(interval_s)
