"""ShoptetClient against the running sandbox: typed errors, retries, token refresh, rate limits,
streaming lists with flat memory, downloads, and no token in any log line."""

from __future__ import annotations

import asyncio
import gc
import gzip
import hashlib
import logging
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from activities.shoptet import OAuthTokenSource, ShoptetClient, StaticToken, exchange_code
from activities.shoptet.errors import (
    Conflict,
    ExpiredToken,
    Forbidden,
    InvalidToken,
    JobPollLimit,
    NotFound,
    PageNotFound,
    ServerError,
    Unprocessable,
)
from infra.sandbox.generator import order_code
from infra.sandbox.testing import RunningSandbox, running_receiver, sandbox_process

from .conftest import QUICK, SHOP


async def test_get_returns_the_data_part(client: ShoptetClient) -> None:
    eshop = await client.get("/api/eshop")
    assert eshop["contactInformation"]["eshopId"] == SHOP.eshop_id
    assert eshop["settings"]["timezone"] == "Europe/Prague"


async def test_typed_errors_for_401_403_404_409_422(
    client: ShoptetClient, sb: RunningSandbox, control: httpx.AsyncClient
) -> None:
    async with ShoptetClient(
        sb.url, StaticToken(f"{SHOP.eshop_id}-a-bogus"), policy=QUICK
    ) as stranger:
        with pytest.raises(InvalidToken) as unauthorized:
            await stranger.get("/api/orders")
    assert unauthorized.value.status == 401 and unauthorized.value.error_code == "invalid-token"

    with pytest.raises(Forbidden) as forbidden:
        await client.get("/api/orders/snapshot")
    assert forbidden.value.status == 403 and not forbidden.value.retryable

    with pytest.raises(NotFound) as missing:
        await client.get("/api/orders/1999000001")
    error = missing.value
    assert (error.status, error.error_code, error.instance) == (
        404,
        "order-not-found",
        "1999000001",
    )
    assert error.request_id and "GET /api/orders/1999000001" in str(error)
    with pytest.raises(PageNotFound):
        await client.get("/api/orders", {"page": 99})

    hook = {"data": [{"event": "job:finished", "url": "https://addon.example/hook"}]}
    await client.post("/api/webhooks", hook)
    with pytest.raises(Unprocessable) as duplicate:
        await client.post("/api/webhooks", hook)
    assert duplicate.value.status == 422 and not duplicate.value.retryable
    await client.post(
        "/api/webhooks", {"data": [{"event": "order:update", "url": "https://addon.example/u"}]}
    )
    with pytest.raises(Conflict):
        await client.post(
            "/api/webhooks", {"data": [{"event": "order:cancel", "url": "https://addon.example/c"}]}
        )

    await control.patch("/faults", json={"job_hang": True})
    job_id = (await client.get("/api/orders/snapshot"))["jobId"]
    for _ in range(10):
        await client.get(f"/api/system/jobs/{job_id}")
    with pytest.raises(JobPollLimit) as limit:
        await client.get(f"/api/system/jobs/{job_id}")
    assert limit.value.status == 403 and limit.value.instance == job_id


async def test_5xx_are_retried_with_backoff_and_eventually_raise(
    client: ShoptetClient, control: httpx.AsyncClient
) -> None:
    await control.patch("/faults", json={"error_rate": 0.4})
    for _ in range(20):
        assert (await client.get("/api/eshop"))["contactInformation"]
    injected = (await control.get("/stats")).json()["counters"]["injected_errors"]
    assert injected > 0  # failures happened and none reached the caller

    await control.patch("/faults", json={"error_rate": 1.0, "error_status": 503})
    before = (await control.get("/stats")).json()["counters"]["injected_errors"]
    with pytest.raises(ServerError) as failed:
        await client.get("/api/eshop")
    assert failed.value.status == 503 and failed.value.retryable
    after = (await control.get("/stats")).json()["counters"]["injected_errors"]
    assert after - before == QUICK.max_attempts


async def test_expired_token_is_refreshed_once_for_concurrent_callers(
    client: ShoptetClient, tokens: OAuthTokenSource, control: httpx.AsyncClient
) -> None:
    await client.get("/api/eshop")
    assert tokens.minted == 1
    await control.post("/clock", json={"advance_seconds": 1801})  # the server-side token expires
    results = await asyncio.gather(*(client.get("/api/eshop") for _ in range(6)))
    assert all(r["contactInformation"] for r in results)
    assert tokens.minted == 2  # one refresh, not six
    stats = (await control.get("/stats")).json()
    assert stats["getAccessTokenCalls"] == 2


async def test_a_token_that_cannot_be_refreshed_raises_expired(sb: RunningSandbox, control: httpx.AsyncClient) -> None:
    token = sb.state.api_token(SHOP.eshop_id)
    await control.post("/clock", json={"advance_seconds": 1801})
    async with ShoptetClient(sb.url, StaticToken(token), policy=QUICK) as shoptet:
        with pytest.raises(ExpiredToken):
            await shoptet.get("/api/eshop")


async def test_a_429_storm_is_survived_without_a_failed_call(
    sb: RunningSandbox, tokens: OAuthTokenSource, http: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await control.patch("/faults", json={"bucket_capacity": 20, "leak_per_second": 30})
    no_throttle = replace(QUICK, throttle_threshold=1.0)  # hit the wall on purpose
    async with ShoptetClient(sb.url, tokens, http=http, policy=no_throttle) as shoptet:
        results = await asyncio.gather(*(shoptet.get("/api/eshop") for _ in range(60)))
        waited = shoptet.governor.paused_seconds
    assert len(results) == 60 and all(
        r["contactInformation"]["eshopId"] == SHOP.eshop_id for r in results
    )
    counters = (await control.get("/stats")).json()["counters"]
    assert counters["rate_limited_bucket"] >= 2  # the bucket overflowed repeatedly...
    assert waited >= 1  # ...and the client waited out Retry-After instead of failing
    assert counters.get("rate_limited_concurrency", 0) == 0  # and never more than 3 in flight


async def test_proactive_throttling_keeps_the_bucket_below_full(
    sb: RunningSandbox, tokens: OAuthTokenSource, http: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await control.patch("/faults", json={"bucket_capacity": 40, "leak_per_second": 80})
    policy = replace(QUICK, leak_per_second=80)
    async with ShoptetClient(sb.url, tokens, http=http, policy=policy) as shoptet:
        await asyncio.gather(*(shoptet.get("/api/eshop") for _ in range(150)))
        paused = shoptet.governor.paused_seconds
    counters = (await control.get("/stats")).json()["counters"]
    assert paused > 0
    assert counters.get("rate_limited_bucket", 0) <= 3


async def test_concurrency_is_capped_per_client_and_server_429s_are_retried(
    sb: RunningSandbox, tokens: OAuthTokenSource, http: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await control.patch("/faults", json={"slow_ms": 60})
    async with ShoptetClient(sb.url, tokens, http=http, policy=QUICK) as capped:
        await asyncio.gather(*(capped.get("/api/eshop") for _ in range(12)))
    assert (await control.get("/stats")).json()["counters"].get("rate_limited_concurrency", 0) == 0
    async with ShoptetClient(sb.url, tokens, http=http, policy=QUICK, max_concurrency=6) as greedy:
        results = await asyncio.gather(*(greedy.get("/api/eshop") for _ in range(12)))
    assert len(results) == 12
    assert (await control.get("/stats")).json()["counters"]["rate_limited_concurrency"] > 0


async def _walk(client: ShoptetClient, pages: int) -> tuple[int, int]:
    count = 0
    tracemalloc.reset_peak()
    async for _customer in client.iter_list("/api/customers", "customers", items_per_page=1):
        count += 1
        if count == pages:
            break
    return count, tracemalloc.get_traced_memory()[1]


async def test_a_2000_page_listing_streams_with_flat_memory(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    # The server runs in its own process so tracemalloc sees only the client.
    # pytest keeps every log record of a test in memory; once an earlier test has set up the
    # app's logging (root at INFO), httpx's INFO line per request would pile up there and be
    # counted as the client's. A worker writes those lines out; here they are not made at all.
    caplog.set_level(logging.WARNING)
    with sandbox_process() as url:
        control = f"{url}/_sandbox"
        (
            await http.post(
                f"{control}/shops", json={"eshop_id": 9, "orders": 10, "customers": 2_100}
            )
        ).raise_for_status()
        (
            await http.patch(f"{control}/faults", json={"leak_per_second": 1e6})
        ).raise_for_status()  # memory, not pace
        code = (await http.post(f"{control}/shops/9/codes", json={})).json()["code"]
        grant = await exchange_code(http, url, "shopops-dev", "shopops-dev-secret", code, "")
        async with ShoptetClient(
            url, OAuthTokenSource(http, url, grant.access_token), http=http
        ) as client:
            await _walk(client, 20)  # warm caches and the connection
            # httpx leaves one reference cycle per response for the cyclic GC; freezing the test
            # session's big heap lets full collections run as often as in a lean worker process.
            gc.collect()
            gc.freeze()
            tracemalloc.start()
            try:
                small_count, small_peak = await _walk(client, 100)
                large_count, large_peak = await _walk(client, 2000)
            finally:
                tracemalloc.stop()
                gc.unfreeze()
    assert (small_count, large_count) == (100, 2000)
    # 20x the pages, the same peak: only one page is ever held
    assert large_peak < 1.25 * small_peak + 64_000, (small_peak, large_peak)


async def test_iter_list_yields_every_item_once_and_reports_shifts(
    client: ShoptetClient, control: httpx.AsyncClient
) -> None:
    shifts: list[tuple[int, int]] = []
    codes = []
    async for order in client.iter_list(
        "/api/orders", "orders", on_shift=lambda a, b: shifts.append((a, b))
    ):
        codes.append(order["code"])
        if len(codes) == 1:
            await control.post(f"/shops/{SHOP.eshop_id}/orders")  # a new order arrives mid-listing
    assert codes[: SHOP.orders] == [order_code(SHOP, i) for i in range(SHOP.orders)]
    assert len(codes) == SHOP.orders + 1
    assert shifts == [(SHOP.orders, SHOP.orders + 1)]


async def test_download_streams_a_result_file_and_hashes_it(
    client: ShoptetClient, control: httpx.AsyncClient, tmp_path: Path
) -> None:
    async with running_receiver() as hooks:
        await client.post("/api/webhooks", {"data": [{"event": "job:finished", "url": hooks.url}]})
        job_id = (await client.get("/api/orders/snapshot"))["jobId"]
        await hooks.wait_for(1)
    job = (await client.get(f"/api/system/jobs/{job_id}"))["job"]
    result = await client.download(job["resultUrl"], tmp_path / "orders.json.gz")
    content = (tmp_path / "orders.json.gz").read_bytes()
    assert result.bytes == len(content) and result.sha256 == hashlib.sha256(content).hexdigest()
    assert len(gzip.decompress(content).splitlines()) == SHOP.orders
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.json.gz"]  # no partial left
    await control.post(f"/jobs/{job_id}/expire")
    with pytest.raises(NotFound):
        await client.download(job["resultUrl"], tmp_path / "again.json.gz")


async def test_tokens_never_reach_logs_or_errors(
    sb: RunningSandbox, http: httpx.AsyncClient, control: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    from activities.shoptet.oauth import get_api_token

    caplog.set_level(logging.DEBUG)
    code = sb.state.mint_code(SHOP.eshop_id, "https://addon.example/install")
    grant = await exchange_code(
        http,
        sb.url,
        sb.state.client_id,
        sb.state.client_secret,
        code,
        "https://addon.example/install",
    )
    source = OAuthTokenSource(http, sb.url, grant.access_token)
    extra = await get_api_token(http, sb.url, grant.access_token)
    async with ShoptetClient(sb.url, source, http=http, policy=QUICK) as shoptet:
        await shoptet.get("/api/eshop")
        await control.patch("/faults", json={"error_rate": 1.0})
        with pytest.raises(ServerError) as failed:
            await shoptet.get("/api/eshop")
        await control.patch("/faults", json={"error_rate": 0})
        await control.post("/clock", json={"advance_seconds": 1801})
        await shoptet.get("/api/eshop")  # refresh path logs too
    async with ShoptetClient(sb.url, StaticToken(extra.token), policy=QUICK) as stale:
        with pytest.raises(ExpiredToken) as expired:
            await stale.get("/api/eshop")
    secrets = [grant.access_token, extra.token, code, (await source.get())]
    assert "GET /api/eshop -> 200" in caplog.text  # the client did log its traffic
    logged = (
        caplog.text
        + str(failed.value)
        + str(expired.value)
        + repr(grant)
        + repr(source)
        + repr(extra)
    )
    for secret in secrets:
        assert secret not in logged
    # even a careless log line in the client module is masked
    logging.getLogger("activities.shoptet.client").info(
        "headers: Shoptet-Access-Token: %s", extra.token
    )
    assert extra.token not in caplog.text and "Shoptet-Access-Token: ***" in caplog.text


async def test_a_slow_sandbox_still_answers_within_the_client_timeouts(
    client: ShoptetClient, control: httpx.AsyncClient
) -> None:
    await control.patch("/faults", json={"slow_ms": 300})
    began = time.monotonic()
    await client.get("/api/eshop")
    assert time.monotonic() - began >= 0.3
