"""Temporal worker: one Worker per task queue with that queue's workflows and activities,
and the process entry point. Apart from infra/temporal_client.py because it imports the
registry of every activity; nothing an activity imports may import this module."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from db.config import get_settings
from infra.temporal_client import connect, ensure_schedules, ensure_search_attributes
from workflows.queues import Queue

log = logging.getLogger(__name__)


def build_workers(client: Client, queues: Iterable[Queue] | None = None) -> list[Worker]:
    """One Worker per task queue, each with that queue's workflows and activities."""
    from activities.registry import activities_for
    from workflows.registry import WORKFLOWS

    chosen = list(queues) if queues else list(Queue)
    executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="activity")
    workers = []
    for queue in chosen:
        wfs, acts = WORKFLOWS.get(queue, []), activities_for(queue)
        if not wfs and not acts:
            continue
        workers.append(
            Worker(
                client,
                task_queue=queue.value,
                workflows=wfs,
                activities=acts,
                activity_executor=executor,
                max_concurrent_activities=8,
                graceful_shutdown_timeout=timedelta(seconds=10),
            )
        )
    return workers


async def run_worker(queues: Iterable[Queue] | None = None, with_schedules: bool = True) -> None:
    """Run workers until SIGINT/SIGTERM; registers search attributes and schedules first."""
    from infra.telemetry import setup_telemetry

    get_settings().refuse_unsafe_secrets()
    setup_telemetry("shopops-worker")
    if port := get_settings().worker_metrics_port:
        from prometheus_client import start_http_server

        start_http_server(port, addr=get_settings().api_host)
        log.info("worker metrics on :%s/metrics", port)
    client = await connect()
    await ensure_search_attributes(client)
    if with_schedules:
        await ensure_schedules(client)
    workers = build_workers(client, queues)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker polling %s", [w.task_queue for w in workers])
    tasks = [asyncio.create_task(w.run()) for w in workers]
    await stop.wait()
    await asyncio.gather(*(w.shutdown() for w in workers), return_exceptions=True)
    await asyncio.gather(*tasks, return_exceptions=True)
