"""The shop-wide pace in Redis: several clients (as in several worker processes) using one token
stay under Shoptet's three requests in flight together, share a 429's pause, and a crashed
holder's slot frees itself."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from activities.shoptet import ShoptetClient
from activities.shoptet.tokens import OAuthTokenSource
from db.redis_client import close_redis
from db.shared_pace import RedisPace
from infra.sandbox.testing import RunningSandbox

from .conftest import QUICK


@pytest.fixture
async def pace_name() -> AsyncIterator[str]:
    name = f"test:{secrets.token_hex(6)}"
    yield name
    pace = RedisPace(name, 1)
    await pace.redis.delete(f"shopops:pace:{name}:slots", f"shopops:pace:{name}:pause")
    await close_redis()


async def _burst(sb: RunningSandbox, tokens: OAuthTokenSource, http: httpx.AsyncClient, shared: list[RedisPace | None]) -> int:
    """Four clients, each allowed 3 in flight on its own, send 8 calls each at once; how many
    'too many concurrent requests for one token' answers the sandbox gave them."""
    async with httpx.AsyncClient(base_url=sb.url + "/_sandbox") as control:

        async def refused() -> int:
            counters = (await control.get("/stats")).json()["counters"]
            return int(counters.get("rate_limited_concurrency", 0))

        before = await refused()
        clients = [ShoptetClient(sb.url, tokens, http=http, policy=QUICK, shared=p) for p in shared]
        results = await asyncio.gather(*(c.get("/api/eshop") for c in clients for _ in range(8)))
        assert len(results) == 32
        return await refused() - before


async def test_clients_sharing_a_pace_never_exceed_the_token_limit(
    sb: RunningSandbox, tokens: OAuthTokenSource, http: httpx.AsyncClient, control: httpx.AsyncClient, pace_name: str
) -> None:
    await control.patch("/faults", json={"slow_ms": 60})
    await tokens.get()  # mint the token first, so the burst measures only API calls
    # control: four independent clients overshoot the per-token limit together
    assert await _burst(sb, tokens, http, [None] * 4) > 0
    pace = RedisPace(pace_name, 3)
    assert await _burst(sb, tokens, http, [RedisPace(pace_name, 3) for _ in range(3)] + [pace]) == 0
    assert await pace.in_flight() == 0  # every slot was given back


async def test_a_pause_set_by_one_sharer_holds_back_the_others(pace_name: str) -> None:
    a, b = RedisPace(pace_name, 3), RedisPace(pace_name, 3)
    assert await b.wait() == 0.0
    await a.pause(0.3)
    await a.pause(0.05)  # a shorter pause never shortens a longer one
    started = time.monotonic()
    await b.wait()
    assert time.monotonic() - started >= 0.25


async def test_a_crashed_holders_slot_frees_itself_after_its_lease(pace_name: str) -> None:
    crashed = RedisPace(pace_name, 1, lease_ttl=0.4)
    holder = crashed.slot()
    await holder.__aenter__()  # taken and never released, as by a killed process
    other = RedisPace(pace_name, 1, lease_ttl=0.4)
    assert await other.in_flight() == 1  # the crashed holder's slot is still counted…
    async with asyncio.timeout(30), other.slot():  # …until its lease runs out (a hang fails)
        assert await other.in_flight() == 1  # ours, in its place
    assert await other.in_flight() == 0


async def test_a_cancelled_request_gives_its_slot_back(pace_name: str) -> None:
    pace = RedisPace(pace_name, 1)
    entered = asyncio.Event()

    async def hold() -> None:
        async with pace.slot():
            entered.set()
            await asyncio.sleep(30)

    task = asyncio.create_task(hold())
    await entered.wait()
    assert await pace.in_flight() == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await pace.in_flight() == 0
    async with asyncio.timeout(1):
        async with pace.slot():
            pass


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="limit must be >= 1"):
        RedisPace("x", 0)
