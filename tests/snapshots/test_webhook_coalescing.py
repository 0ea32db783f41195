"""Sync nudges coalesced per shop and resource (issue 21): a trailing trigger after the window,
one per window across API processes, and nothing lost when the process holding the window
dies (the outbox sweep dispatches its events). Real PostgreSQL, Redis and Temporal; the window
is closed explicitly by the test (an injected sleep), never by the wall clock."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from temporalio.client import Client

from api.services import webhooks
from api.services.webhooks import NudgeCoalescer, signature
from db.models import Shop
from db.redis_client import redis_client
from infra.temporal_client import connect
from tests.support import installed_shop

KEY = "61d1175f54c47dd67df14c17002a17b2"
WINDOW = 30.0  # seconds; the test closes it, so it only has to outlast the posts


@pytest.fixture
def installed(db_session: Session) -> Shop:
    return installed_shop(db_session, KEY, "coalesce")


class Process:
    """One API process's coalescer: its window closes when the test says so, and each trigger
    (a real one, against the real Temporal) is recorded."""

    def __init__(self, triggers: list[tuple[int, str]]) -> None:
        self.closed = asyncio.Event()
        self.triggers = triggers

        async def sleep(_: float) -> None:
            await self.closed.wait()

        async def trigger(client: Client, shop_id: int, resource: str, reason: str) -> None:
            self.triggers.append((shop_id, resource))
            await webhooks._nudge_sync(client, shop_id, resource, reason)  # pyright: ignore[reportPrivateUsage]

        self.trigger = trigger
        self.coalescer = NudgeCoalescer(WINDOW, connect, sleep=sleep, trigger=trigger)

    async def close_window(self) -> None:
        self.closed.set()
        await self.coalescer.settle()


@pytest.fixture
def triggers() -> list[tuple[int, str]]:
    return []


@pytest.fixture
def process(triggers: list[tuple[int, str]]) -> Iterator[Process]:
    one = Process(triggers)
    webhooks.install_coalescer(one.coalescer)
    yield one
    webhooks.install_coalescer(None)


CREATED = datetime.now(UTC).replace(microsecond=0)  # one moment: a repeated body is a duplicate


def _body(eshop_id: int, event: str, instance: str) -> bytes:
    created = CREATED.strftime("%Y-%m-%dT%H:%M:%S+0000")
    return orjson.dumps({"eshopId": eshop_id, "event": event, "eventCreated": created, "eventInstance": instance})


async def _post(api: httpx.AsyncClient, body: bytes) -> httpx.Response:
    answer = await api.post("/api/webhooks/shoptet", content=body,
                            headers={"Content-Type": "application/json", "Shoptet-Webhook-Signature": signature(KEY, body)})
    assert answer.status_code == 200, answer.text
    return answer


def _statuses(db: Session, shop_id: int) -> list[tuple[str, str | None]]:
    db.expire_all()
    rows = db.execute(text("SELECT status, reason FROM webhook_events WHERE shop_id = :s ORDER BY id"), {"s": shop_id}).all()
    return [(r.status, r.reason) for r in rows]


async def test_fifty_webhooks_in_one_window_make_one_trigger(api, installed, db_session, temporal_env, process, triggers) -> None:  # type: ignore[no-untyped-def]
    for i in range(50):
        assert (await _post(api, _body(installed.eshop_id, "order:update", f"2026{i:06d}"))).json()["status"] == "received"
    # answered at once; nothing triggered while the window is open
    assert triggers == [] and {s for s, _ in _statuses(db_session, installed.id)} == {"received"}
    await process.close_window()
    assert triggers == [(installed.id, "orders")]
    rows = _statuses(db_session, installed.id)
    assert rows == [("dispatched", "nudged orders sync (one trigger for 50 events)")] * 50
    dispatched_at = db_session.execute(
        text("SELECT count(DISTINCT dispatched_at) FROM webhook_events WHERE shop_id = :s"), {"s": installed.id}
    ).scalar_one()
    assert dispatched_at == 1
    # a later sweep leaves them alone: dispatched exactly once
    from db.engine import session_scope

    async with session_scope() as session:
        await webhooks.drain_outbox(session, connect, datetime.now(UTC) + webhooks.OUTBOX_AGE * 2, trigger=process.trigger)
    assert triggers.count((installed.id, "orders")) == 1
    assert _statuses(db_session, installed.id) == rows


async def test_two_resources_make_two_triggers_and_other_events_go_at_once(api, installed, db_session, temporal_env, process, triggers) -> None:  # type: ignore[no-untyped-def]
    for i in range(10):
        await _post(api, _body(installed.eshop_id, "order:update", f"o{i}"))
        await _post(api, _body(installed.eshop_id, "product:update" if i % 2 else "productVariant:update", f"p{i}"))
    # not a sync nudge: dispatched within the request, as before
    await _post(api, _body(installed.eshop_id, "job:finished", "nojob"))
    assert _statuses(db_session, installed.id)[-1] == ("dispatched", "no snapshot run waits for this job (polling will find it)")
    # a repeated notification inside the window joins it
    duplicate = await _post(api, _body(installed.eshop_id, "order:update", "o3"))
    assert duplicate.json()["status"] == "duplicate"
    await process.close_window()
    assert sorted(t for t in triggers if t[0] == installed.id) == [(installed.id, "orders"), (installed.id, "products")]
    statuses = [s for s, _ in _statuses(db_session, installed.id)]
    assert statuses.count("dispatched") == 21 and statuses.count("duplicate") == 1 and len(statuses) == 22


async def test_two_api_processes_share_one_window(api, installed, db_session, temporal_env, triggers) -> None:  # type: ignore[no-untyped-def]
    first, second = Process(triggers), Process(triggers)
    try:
        for i in range(20):  # the notifications land on either process
            webhooks.install_coalescer((first, second)[i % 2].coalescer)
            await _post(api, _body(installed.eshop_id, "customer:update", f"c{i}"))
    finally:
        webhooks.install_coalescer(None)
    assert len(first.coalescer.pending) == 1 and not second.coalescer.pending  # one lease, one trailing trigger
    await second.close_window()
    await first.close_window()
    assert triggers == [(installed.id, "customers")]
    assert {s for s, _ in _statuses(db_session, installed.id)} == {"dispatched"}


async def test_a_window_held_by_a_dead_process_is_dispatched_by_the_outbox(api, installed, db_session, temporal_env, process, triggers) -> None:  # type: ignore[no-untyped-def]
    from db.engine import session_scope

    # another process took the lease, then died before its trailing trigger
    await redis_client().set(webhooks.NUDGE_KEY.format(installed.id, "stock"), b"1", px=round(WINDOW * 1000))
    for i in range(30):
        await _post(api, _body(installed.eshop_id, "stock:update", f"s{i}"))
    assert not process.coalescer.pending and triggers == []
    assert {s for s, _ in _statuses(db_session, installed.id)} == {"received"}
    # the sweep (the outbox is global: other tests' leftovers may go with ours)
    async with session_scope() as session:
        await webhooks.drain_outbox(session, connect, datetime.now(UTC) + webhooks.OUTBOX_AGE * 2, trigger=process.trigger)
    assert [t for t in triggers if t[0] == installed.id] == [(installed.id, "stock")]  # coalesced there as well
    assert _statuses(db_session, installed.id) == [("dispatched", "nudged stock sync (one trigger for 30 events)")] * 30
    async with session_scope() as session:
        await webhooks.drain_outbox(session, connect, datetime.now(UTC) + webhooks.OUTBOX_AGE * 4, trigger=process.trigger)
    assert [t for t in triggers if t[0] == installed.id] == [(installed.id, "stock")]


async def test_redis_unreachable_dispatches_at_once(api, installed, db_session, temporal_env, triggers) -> None:  # type: ignore[no-untyped-def]
    import redis.asyncio as aioredis

    down = Process(triggers)
    nowhere = aioredis.Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=1)  # pyright: ignore[reportUnknownMemberType]
    down.coalescer.redis = lambda: nowhere
    webhooks.install_coalescer(down.coalescer)
    try:
        await _post(api, _body(installed.eshop_id, "order:update", "r1"))
    finally:
        webhooks.install_coalescer(None)
        await nowhere.aclose()
    assert not down.coalescer.pending
    assert _statuses(db_session, installed.id) == [("dispatched", "nudged orders sync")]


async def test_the_next_window_after_a_trigger_makes_the_next_trigger(api, installed, db_session, temporal_env, triggers) -> None:  # type: ignore[no-untyped-def]
    one = Process(triggers)
    webhooks.install_coalescer(one.coalescer)
    try:
        for i in range(5):
            await _post(api, _body(installed.eshop_id, "order:create", f"a{i}"))
        one.closed.set()
        await one.coalescer.settle()
        assert triggers == [(installed.id, "orders")]
        one.closed.clear()
        # the lease runs out (the test's window is closed early, so it is removed by hand)
        await redis_client().delete(webhooks.NUDGE_KEY.format(installed.id, "orders"))
        for i in range(5):
            await _post(api, _body(installed.eshop_id, "order:create", f"b{i}"))
        assert len(one.coalescer.pending) == 1  # a new lease, a new trailing trigger
        await one.close_window()
    finally:
        webhooks.install_coalescer(None)
    assert triggers == [(installed.id, "orders")] * 2
    assert _statuses(db_session, installed.id) == [("dispatched", "nudged orders sync (one trigger for 5 events)")] * 10
