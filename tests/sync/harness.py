"""Shared pieces of the token, install and sync suites: a sandbox the app is pointed at, the
workers of the tokens and sync queues, installed shops, polling, and captured histories."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from db.engine import session_scope
from db.models import Installation, Shop
from infra.sandbox.generator import ShopSpec
from infra.sandbox.testing import RunningSandbox, running_sandbox
from tests.support import app_env, fresh_eshop_id
from workflows.queues import Queue

HISTORIES = Path(__file__).resolve().parent.parent


SANDBOX_ENV = ("SHOPTET_API_URL", "SHOPTET_PARTNER_URL")


@contextlib.contextmanager
def point_app_at(sb: RunningSandbox, **extra: str) -> Iterator[None]:
    """Make our Shoptet client and OAuth calls go to the sandbox (process settings) for the
    block; the variables are put back after it, so no later test talks to a stopped sandbox."""
    with app_env(**dict.fromkeys(SANDBOX_ENV, sb.url), **extra):
        yield


@asynccontextmanager
async def app_sandbox(**knobs: Any) -> AsyncIterator[RunningSandbox]:
    """A sandbox the app talks to; on exit every workflow and sync schedule of shops made
    meanwhile stops, so none of them calls the next test's sandbox or occupies its workers."""
    began = await scalar("SELECT now()")
    async with running_sandbox(**knobs) as sb:
        with point_app_at(sb):
            try:
                yield sb
            finally:
                await _quiesce(began)


async def _quiesce(since: Any) -> None:
    """Delete the sync schedules of the shops made since `since` and terminate their running
    workflows: the token singleton, and whatever an install started (first snapshots, a sync
    pass) that this test ran no worker for."""
    from temporalio.service import RPCError

    from api.services.sync import remove_sync
    from infra.temporal_client import connect
    from workflows.tokens import token_workflow_id

    client = await connect()
    async with session_scope() as session:
        shop_ids = (
            await session.execute(text("SELECT id FROM shops WHERE created_at >= :t"), {"t": since})
        ).scalars().all()
        snapshot_ids = (
            await session.execute(
                text("SELECT workflow_id FROM snapshot_runs WHERE shop_id = ANY(:s)"), {"s": list(shop_ids)}
            )
        ).scalars().all()
    for shop_id in shop_ids:
        await remove_sync(client, shop_id)
    running: set[str] = {token_workflow_id(shop_id) for shop_id in shop_ids} | set(snapshot_ids)
    if shop_ids:  # anything else started for these shops (a scheduled or nudged sync pass)
        shops = " OR ".join(f"ShopId = {shop_id}" for shop_id in shop_ids)
        query = f"ExecutionStatus = 'Running' AND ({shops})"
        running |= {wf.id async for wf in client.list_workflows(query)}
    for workflow_id in sorted(running):
        with contextlib.suppress(RPCError):  # already closed
            await client.get_workflow_handle(workflow_id).terminate("test finished")


def new_eshop_id() -> int:
    return fresh_eshop_id()


def small_shop(eshop_id: int | None = None, **overrides: Any) -> ShopSpec:
    values: dict[str, Any] = {"orders": 40, "products": 15, "customers": 25, "mean_items": 1.5}
    values.update(overrides)
    return ShopSpec(eshop_id=eshop_id or new_eshop_id(), **values)


@dataclass(frozen=True)
class ShopRef:
    shop_id: int
    eshop_id: int


async def installed_shop(sb: RunningSandbox, spec: ShopSpec) -> ShopRef:
    """A shop installed at the sandbox and in our database, with no API token yet."""
    sb.state.add_shop(spec)
    oauth = sb.state.install(spec.eshop_id)
    async with session_scope() as session:
        shop = Shop(eshop_id=spec.eshop_id, name=f"Sandbox {spec.eshop_id}", status="active")
        session.add(shop)
        await session.flush()
        session.add(Installation(shop_id=shop.id, oauth_token=oauth))
        shop_id = shop.id
    return ShopRef(shop_id, spec.eshop_id)


async def install_through_shoptet(sb: RunningSandbox, **shop: Any) -> tuple[int, int]:
    """Install through the real install service (webhooks registered, cursors at install,
    first snapshots started); returns (shop_id, eshop_id)."""
    from api.services.installation import install, install_url
    from db.engine import session_factory
    from infra.temporal_client import connect

    spec = small_shop(**shop)
    sb.state.add_shop(spec)
    code = sb.state.mint_code(spec.eshop_id, redirect_uri=install_url())
    async with session_factory()() as session:
        done = await install(await connect(), session, code)
    return done.shop_id, spec.eshop_id


async def sync_schedules(shop_id: int, every: timedelta, paused: bool = False) -> None:
    """The shop's sync schedules at `every`; paused, only explicit triggers and webhook
    nudges start passes."""
    from api.services.sync import ensure_sync_schedules, pause_sync
    from db.engine import session_factory
    from infra.temporal_client import connect

    client = await connect()
    async with session_factory()() as session:
        await ensure_sync_schedules(client, session, shop_id, every=every)
    if paused:
        await pause_sync(client, shop_id, note="test: only explicit triggers")


async def stored_installation(shop_id: int) -> Installation:
    async with session_scope() as session:
        return (
            await session.execute(select(Installation).where(Installation.shop_id == shop_id))
        ).scalar_one()


async def execute(sql: str, **params: Any) -> None:
    async with session_scope() as session:
        await session.execute(text(sql), params)


async def scalar(sql: str, **params: Any) -> Any:
    async with session_scope() as session:
        return (await session.execute(text(sql), params)).scalar()


@asynccontextmanager
async def running_workers(
    queues: Iterable[Queue] = (Queue.TOKENS, Queue.SYNC),
) -> AsyncIterator[list[Any]]:
    """The app's workers for `queues`, in this process, for the block."""
    from infra.temporal_client import connect
    from infra.worker import build_workers

    workers = build_workers(await connect(), list(queues))
    tasks = [asyncio.create_task(w.run()) for w in workers]
    try:
        yield workers
    finally:
        await asyncio.gather(*(w.shutdown() for w in workers), return_exceptions=True)
        await asyncio.gather(*tasks, return_exceptions=True)


async def wait_until(
    check: Callable[[], Awaitable[Any]], *, timeout: float, interval: float = 0.1, what: str = "condition"
) -> tuple[Any, float]:
    """Poll `check` until it returns something truthy; returns (value, seconds waited)."""
    began = time.monotonic()
    while True:
        value = await check()
        if value:
            return value, time.monotonic() - began
        if time.monotonic() - began > timeout:
            raise AssertionError(f"{what} not reached within {timeout:g} s (last value {value!r})")
        await asyncio.sleep(interval)


async def workflow_ids(query: str) -> list[str]:
    from infra.temporal_client import connect

    client = await connect()
    return [w.id async for w in client.list_workflows(query)]


async def save_history(domain: str, name: str, workflow_id: str, run_id: str | None = None) -> Path:
    """Store a workflow's history for the replay tests (kept when it exists, unless
    SHOPOPS_RECORD_HISTORIES=1 asks to re-record)."""
    from infra.temporal_client import connect

    path = HISTORIES / domain / "histories" / f"{name}.json"
    if path.exists() and os.environ.get("SHOPOPS_RECORD_HISTORIES") != "1":
        return path
    client = await connect()
    history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(history.to_json())
    return path


async def replay_histories(domain: str, workflows: list[type]) -> list[str]:
    """Replay every stored history of `domain` against today's workflow code."""
    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer

    paths = sorted((HISTORIES / domain / "histories").glob("*.json"))
    assert paths, f"no histories under tests/{domain}/histories: run the {domain} suite once"
    replayer = Replayer(workflows=workflows)
    for path in paths:
        await replayer.replay_workflow(WorkflowHistory.from_json(path.stem, path.read_text()))
    return [p.stem for p in paths]
