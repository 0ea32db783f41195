"""Temporal client factory and worker entry point: one module so API, CLI and tests connect alike."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.worker import Worker

from db.config import get_settings
from workflows import search_attributes
from workflows.queues import Queue
from workflows.schedules import APP_SCHEDULES, ScheduleDecl

log = logging.getLogger(__name__)

_CLIENTS: dict[tuple[str, str, int], Client] = {}


async def connect(address: str | None = None, namespace: str | None = None) -> Client:
    """A cached client per (address, namespace, event loop); interceptors are added here once."""
    settings = get_settings()
    key = (
        address or settings.temporal_address,
        namespace or settings.temporal_namespace,
        id(asyncio.get_running_loop()),
    )
    if key not in _CLIENTS:
        _CLIENTS[key] = await Client.connect(key[0], namespace=key[1], interceptors=_interceptors())
    return _CLIENTS[key]


def forget_clients() -> None:
    _CLIENTS.clear()


def _interceptors() -> list:
    from infra.telemetry import temporal_interceptors

    return temporal_interceptors()


async def ensure_search_attributes(client: Client) -> None:
    """Register our custom search attributes (no-op when already there)."""
    svc = client.operator_service
    have = await svc.list_search_attributes(ListSearchAttributesRequest(namespace=client.namespace))
    types = {
        "INT": IndexedValueType.INDEXED_VALUE_TYPE_INT,
        "KEYWORD": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    }
    missing = {
        key.name: types[key.indexed_value_type.name]
        for key in search_attributes.ALL
        if key.name not in have.custom_attributes
    }
    if missing:
        await svc.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )


def _schedule(decl: ScheduleDecl) -> Schedule:
    spec = ScheduleSpec(
        cron_expressions=[decl.cron] if decl.cron else [],
        intervals=[ScheduleIntervalSpec(every=decl.every)] if decl.every else [],
        time_zone_name=decl.timezone,
    )
    return Schedule(
        action=ScheduleActionStartWorkflow(
            decl.workflow,
            args=list(decl.args),
            id=decl.workflow_id,
            task_queue=decl.queue.value,
            typed_search_attributes=search_attributes.for_run(decl.id),
        ),
        spec=spec,
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy[decl.overlap]),
    )


async def ensure_schedule(client: Client, decl: ScheduleDecl) -> None:
    """Create the schedule, or bring an existing one in line with its declaration, keeping
    its state (an ops pause from the console or the monitoring page survives a worker restart)."""
    await create_or_update_schedule(client, decl.id, _schedule(decl), keep_state=True)


async def create_or_update_schedule(
    client: Client, schedule_id: str, schedule: Schedule, *, keep_state: bool
) -> None:
    """Create the schedule, or replace an existing one's action, spec and policy with these.
    `keep_state` keeps its current state (paused or not, and the note); otherwise
    `schedule.state` replaces it too."""
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:

        def _replace(current: ScheduleUpdateInput) -> ScheduleUpdate:
            state = current.description.schedule.state if keep_state else schedule.state
            return ScheduleUpdate(schedule=replace(schedule, state=state))

        await client.get_schedule_handle(schedule_id).update(_replace)


async def ensure_schedules(client: Client, decls: Iterable[ScheduleDecl] = APP_SCHEDULES) -> None:
    for decl in decls:
        await ensure_schedule(client, decl)


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
