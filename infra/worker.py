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


def parse_queues(names: Iterable[str] | str | None) -> list[Queue] | None:
    """Queues from short names (`snapshots`), full names (`shopops-snapshots`) or a comma list;
    None (all queues) when nothing is given. Unknown names raise ValueError."""
    if isinstance(names, str):
        names = names.split(",")
    chosen: list[Queue] = []
    for raw in names or []:
        name = raw.strip()
        if not name:
            continue
        try:
            chosen.append(Queue(name) if name.startswith("shopops-") else Queue[name.upper()])
        except (KeyError, ValueError):
            known = ", ".join(q.name.lower() for q in Queue)
            raise ValueError(f"unknown task queue {name!r}: one of {known}") from None
    return chosen or None


def build_workers(client: Client, queues: Iterable[Queue] | None = None) -> list[Worker]:
    """One Worker per task queue, each with that queue's workflows and activities."""
    from activities.registry import activities_for
    from infra.queue_settings import settings_for
    from workflows.registry import WORKFLOWS

    settings = get_settings()
    chosen = list(queues) if queues else list(Queue)
    workers = []
    for queue in chosen:
        wfs, acts = WORKFLOWS.get(queue, []), activities_for(queue)
        if not wfs and not acts:
            continue
        conf = settings_for(queue)
        slots = settings.worker_max_activities or conf.max_concurrent_activities
        # a pool per queue: a flood of synchronous exports cannot take another queue's threads
        executor = ThreadPoolExecutor(max_workers=slots, thread_name_prefix=f"act-{queue.name.lower()}")
        workers.append(
            Worker(
                client,
                task_queue=queue.value,
                workflows=wfs,
                activities=acts,
                activity_executor=executor,
                max_concurrent_activities=slots,
                max_concurrent_workflow_tasks=conf.max_concurrent_workflow_tasks,
                max_activities_per_second=conf.max_activities_per_second,
                max_task_queue_activities_per_second=conf.max_task_queue_activities_per_second,
                graceful_shutdown_timeout=timedelta(seconds=settings.worker_shutdown_seconds),
            )
        )
    return workers


async def run_worker(queues: Iterable[Queue] | None = None, with_schedules: bool | None = None) -> None:
    """Run workers until SIGINT/SIGTERM; registers search attributes and schedules first.

    The role comes from settings unless given: WORKER_QUEUES (the queues polled; a Deployment
    per queue is the unit of scaling) and WORKER_SCHEDULES."""
    from infra.telemetry import setup_telemetry

    settings = get_settings()
    settings.refuse_unsafe_secrets()
    setup_telemetry("shopops-worker")
    if port := settings.worker_metrics_port:
        from prometheus_client import start_http_server

        start_http_server(port, addr=settings.api_host)
        log.info("worker metrics on :%s/metrics", port)
    chosen = list(queues) if queues else parse_queues(settings.worker_queues)
    client = await connect()
    await ensure_search_attributes(client)
    if settings.worker_schedules if with_schedules is None else with_schedules:
        await ensure_schedules(client)
    await serve_until_signal(client, build_workers(client, chosen))


async def serve_until_signal(client: Client, workers: list[Worker]) -> None:
    """Poll until SIGINT/SIGTERM, then drain: readiness turns 503, every Worker stops polling and
    waits up to WORKER_SHUTDOWN_SECONDS for running activities (which see
    `activity.is_worker_shutdown()` and may heartbeat and give up); those still running are
    cancelled, fail this attempt and are retried on another worker from their last heartbeat."""
    from infra.backlog import publish_forever
    from infra.readiness import WorkerHealthServer

    settings = get_settings()
    health: WorkerHealthServer | None = None
    if settings.worker_health_port:
        health = WorkerHealthServer(settings.api_host, settings.worker_health_port)
        await health.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    names = [w.task_queue for w in workers]
    log.info("worker polling %s", names)
    tasks = [asyncio.create_task(w.run()) for w in workers]
    backlog = asyncio.create_task(
        publish_forever(client, names, settings.worker_backlog_interval_seconds)
    ) if settings.worker_metrics_port else None
    await stop.wait()
    log.info("SIGTERM: draining %s for up to %ss", names, settings.worker_shutdown_seconds)
    if health is not None:
        health.draining = True
    if backlog is not None:
        backlog.cancel()
    await asyncio.gather(*(w.shutdown() for w in workers), return_exceptions=True)
    await asyncio.gather(*tasks, return_exceptions=True)
    if health is not None:
        await health.close()
    log.info("worker drained")
