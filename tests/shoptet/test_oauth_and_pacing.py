"""OAuth calls with typed errors, the caching token source, and the pacing arithmetic
(Retry-After forms, throttle delay, backoff bounds)."""

from __future__ import annotations

import asyncio
import random
import time

import httpx
import pytest

from activities.shoptet import OAuthTokenSource, RetryPolicy, exchange_code, get_api_token
from activities.shoptet.oauth import (
    AddonNotInstalled,
    AddonSuspended,
    InvalidClient,
    InvalidGrant,
    MaximumTokensReached,
)
from activities.shoptet.ratelimit import backoff_delay, parse_retry_after, throttle_delay
from infra.sandbox.testing import RunningSandbox

from .conftest import SHOP

INSTALL_URL = "https://addon.example/install"


async def test_exchange_code_returns_the_installation_grant(
    sb: RunningSandbox, http: httpx.AsyncClient
) -> None:
    code = sb.state.mint_code(SHOP.eshop_id, INSTALL_URL)
    grant = await exchange_code(
        http, sb.url, sb.state.client_id, sb.state.client_secret, code, INSTALL_URL
    )
    assert grant.eshop_id == SHOP.eshop_id and grant.eshop_url == SHOP.eshop_url
    assert len(grant.access_token) == 255 and grant.access_token not in repr(grant)
    with pytest.raises(InvalidGrant) as reused:
        await exchange_code(
            http, sb.url, sb.state.client_id, sb.state.client_secret, code, INSTALL_URL
        )
    assert reused.value.status == 400 and not reused.value.retryable
    other = sb.state.mint_code(SHOP.eshop_id, INSTALL_URL)
    with pytest.raises(InvalidClient):
        await exchange_code(http, sb.url, sb.state.client_id, "wrong", other, INSTALL_URL)


async def test_api_token_errors_are_typed(
    sb: RunningSandbox, http: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    oauth = sb.state.install(SHOP.eshop_id)
    tokens = [await get_api_token(http, sb.url, oauth) for _ in range(5)]
    assert all(t.fresh() for t in tokens) and len({t.token for t in tokens}) == 5
    with pytest.raises(MaximumTokensReached) as capped:
        await get_api_token(http, sb.url, oauth)
    assert capped.value.status == 429 and capped.value.retryable  # slots free up as tokens expire
    await control.post(f"/shops/{SHOP.eshop_id}/installation", json={"status": "suspended"})
    with pytest.raises(AddonSuspended):
        await get_api_token(http, sb.url, oauth)
    await control.post(f"/shops/{SHOP.eshop_id}/installation", json={"status": "uninstalled"})
    with pytest.raises(AddonNotInstalled) as gone:
        await get_api_token(http, sb.url, oauth)
    assert not gone.value.retryable


async def test_token_source_caches_and_refreshes_only_a_stale_token(
    sb: RunningSandbox, http: httpx.AsyncClient
) -> None:
    source = OAuthTokenSource(http, sb.url, sb.state.install(SHOP.eshop_id))
    first = await asyncio.gather(*(source.get() for _ in range(5)))
    assert len(set(first)) == 1 and source.minted == 1
    refreshed = await asyncio.gather(*(source.refresh(first[0]) for _ in range(4)))
    assert len(set(refreshed)) == 1 and refreshed[0] != first[0] and source.minted == 2
    assert await source.refresh("an-older-token") == refreshed[0] and source.minted == 2
    ahead = [0.0]
    timed = OAuthTokenSource(
        http, sb.url, sb.state.install(SHOP.eshop_id), clock=lambda: time.time() + ahead[0]
    )
    token = await timed.get()
    ahead[0] = 1800 - 90
    assert await timed.get() == token  # still more than a minute left
    ahead[0] = 1800 - 30  # inside the one-minute margin: mint before Shoptet says expired
    assert await timed.get() != token and timed.minted == 2


def test_retry_after_in_every_form() -> None:
    date = "Mon, 01 Jul 2024 12:01:11 GMT"
    assert (
        parse_retry_after(date, "Mon, 01 Jul 2024 12:01:08 GMT") == 3
    )  # relative to the server's Date
    assert parse_retry_after(date, now=1719835266.0) == 5  # or to our clock without a Date
    assert parse_retry_after("7") == 7
    assert parse_retry_after("2024-07-01T14:01:11+02:00", now=1719835270.0) == 1
    assert parse_retry_after("Mon, 01 Jul 2024 12:01:11 GMT", "Mon, 01 Jul 2024 12:05:00 GMT") == 0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_throttle_delay_is_proportional_above_the_threshold() -> None:
    policy = RetryPolicy()
    assert throttle_delay("100/200", policy) == 0
    assert throttle_delay("150/200", policy) == 0
    assert throttle_delay("170/200", policy) == pytest.approx(2.0)  # 20 drops over 10 drops/s
    assert throttle_delay("200/200", policy) == pytest.approx(5.0)
    assert throttle_delay(None, policy) == 0 and throttle_delay("garbage", policy) == 0


def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=8)
    rng = random.Random(1)
    for attempt, ceiling in ((1, 0.5), (2, 1), (3, 2), (4, 4), (5, 8), (9, 8)):
        delays = [backoff_delay(attempt, policy, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert max(delays) - min(delays) > ceiling / 4  # jittered, not fixed
