"""Temporal client: connect, search attributes and schedules, so API, CLI, tests and the
activities that start workflows connect alike. The worker (which imports every activity)
lives apart in infra/worker.py, so importing the client never pulls in the activities."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import replace

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

from db.config import get_settings
from workflows import search_attributes
from workflows.schedules import APP_SCHEDULES, ScheduleDecl

log = logging.getLogger(__name__)

_CLIENTS: dict[tuple[str, str, int], Client] = {}
_CONNECTING: dict[tuple[str, str, int], asyncio.Lock] = {}


async def connect(address: str | None = None, namespace: str | None = None) -> Client:
    """A cached client per (address, namespace, event loop); interceptors are added here once.

    Callers that find no client yet wait for one connection, not one each: a fresh API process
    under load had dozens of requests connecting at once (measured in `make load`)."""
    settings = get_settings()
    key = (
        address or settings.temporal_address,
        namespace or settings.temporal_namespace,
        id(asyncio.get_running_loop()),
    )
    found = _CLIENTS.get(key)
    if found is not None:
        return found
    async with _CONNECTING.setdefault(key, asyncio.Lock()):
        if key not in _CLIENTS:  # a failed connect leaves none: the next caller tries again
            _CLIENTS[key] = await Client.connect(key[0], namespace=key[1], interceptors=_interceptors())
    return _CLIENTS[key]


def forget_clients() -> None:
    _CLIENTS.clear()
    _CONNECTING.clear()


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
            typed_search_attributes=search_attributes.for_run(
                decl.run_kind or decl.id, decl.shop_id, channel=decl.channel
            ),
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
