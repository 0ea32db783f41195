"""A sandbox server for the client suite (reset before each test) and clients wired to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest

from activities.shoptet import OAuthTokenSource, RetryPolicy, ShoptetClient
from infra.sandbox.generator import ShopSpec
from infra.sandbox.testing import RunningSandbox, running_sandbox

SHOP = ShopSpec(
    eshop_id=315185,
    seed=3,
    orders=600,
    products=40,
    customers=2_100,
    date_from=date(2024, 1, 1),
    date_to=date(2024, 12, 31),
)
FAST = {"job_pending_ms": 20, "job_running_ms": 40, "webhook_retry_ms": 50}
# Quick retries so failure paths run in milliseconds; the shape of the policy is unchanged.
QUICK = RetryPolicy(backoff_base=0.01, backoff_max=0.05)


@pytest.fixture(scope="package")  # stopped once this suite is done, not at the session's end
async def sandbox_server() -> AsyncIterator[RunningSandbox]:
    async with running_sandbox(shops=[SHOP], **FAST) as sb:
        yield sb


@pytest.fixture
async def sb(sandbox_server: RunningSandbox) -> AsyncIterator[RunningSandbox]:
    async with httpx.AsyncClient(base_url=sandbox_server.url) as http:
        (await http.post("/_sandbox/reset")).raise_for_status()
    yield sandbox_server


@pytest.fixture
async def control(sb: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sb.url + "/_sandbox") as http:
        yield http


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def tokens(sb: RunningSandbox, http: httpx.AsyncClient) -> OAuthTokenSource:
    """The real token path: an installed shop's OAuth token minting API tokens on demand."""
    return OAuthTokenSource(http, sb.url, sb.state.install(SHOP.eshop_id))


@pytest.fixture
async def client(
    sb: RunningSandbox, tokens: OAuthTokenSource, http: httpx.AsyncClient
) -> AsyncIterator[ShoptetClient]:
    async with ShoptetClient(sb.url, tokens, http=http, policy=QUICK) as shoptet:
        yield shoptet
