"""Rate limits and request-level faults: leaky bucket with Retry-After as an HTTP date, the
3-requests-per-token cap, bucket-filling header on every answer, error_rate and slow_ms."""

from __future__ import annotations

import asyncio
import time
from email.utils import parsedate_to_datetime

import httpx

from infra.sandbox.testing import RunningSandbox

from .conftest import SHOP


async def test_every_api_answer_carries_request_id_and_bucket_filling(
    api: httpx.AsyncClient,
) -> None:
    levels = []
    for _ in range(5):
        response = await api.get("/api/eshop")
        assert response.json()["metadata"]["requestId"] == response.headers["X-Request-ID"]
        current, capacity = response.headers["X-RateLimit-Bucket-Filling"].split("/")
        assert capacity == "200"
        levels.append(int(current))
        assert response.headers["Date"]
    assert levels == sorted(levels) and levels[-1] >= 4  # each request adds a drop, leaking 10/s
    error = await api.get("/api/orders/0000")
    assert "X-RateLimit-Bucket-Filling" in error.headers and "X-Request-ID" in error.headers


async def test_full_bucket_answers_429_with_retry_after_http_date(
    api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await control.patch("/faults", json={"bucket_capacity": 10, "leak_per_second": 1})
    statuses = [(await api.get("/api/eshop")).status_code for _ in range(14)]
    admitted = statuses.index(429)
    assert 10 <= admitted <= 11  # ten drops fit (plus one if a drop leaked meanwhile)
    assert set(statuses[admitted:]) == {429}
    refused = await api.get("/api/eshop")
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["errorCode"] == "too-many-requests"
    assert refused.headers["X-RateLimit-Bucket-Filling"] == "10/10"
    retry_at = parsedate_to_datetime(refused.headers["Retry-After"])  # an HTTP date, not seconds
    server_now = parsedate_to_datetime(refused.headers["Date"])
    assert 1 <= (retry_at - server_now).total_seconds() <= 2
    await control.post(
        "/clock", json={"advance_seconds": 2}
    )  # the bucket leaks on the sandbox clock
    assert (await api.get("/api/eshop")).status_code == 200
    stats = (await control.get("/stats")).json()
    assert (
        stats["rateLimited"]
        == stats["counters"]["rate_limited_bucket"]
        == len(statuses) - admitted + 1
    )


async def test_the_bucket_is_per_shop_and_leaks_with_the_clock(
    sb: RunningSandbox, control: httpx.AsyncClient
) -> None:
    await control.post("/shops", json={"eshop_id": 7, "orders": 5})
    await control.patch("/faults", json={"bucket_capacity": 3, "leak_per_second": 0.001})
    async with httpx.AsyncClient(base_url=sb.url) as http:
        one = {"Shoptet-Access-Token": sb.state.api_token(SHOP.eshop_id)}
        other = {"Shoptet-Access-Token": sb.state.api_token(7)}
        assert [(await http.get("/api/eshop", headers=one)).status_code for _ in range(4)] == [
            200,
            200,
            200,
            429,
        ]
        assert (await http.get("/api/eshop", headers=other)).status_code == 200
        await control.post("/clock", json={"advance_seconds": 1500})  # 1.5 drops leak
        assert (await http.get("/api/eshop", headers=one)).status_code == 200


async def test_more_than_three_concurrent_requests_per_token_get_429(
    sb: RunningSandbox, api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await control.patch("/faults", json={"slow_ms": 800})
    responses = await asyncio.gather(*(api.get("/api/eshop") for _ in range(5)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 200, 429, 429]
    refused = next(r for r in responses if r.status_code == 429)
    assert "concurrent" in refused.json()["errors"][0]["message"]
    assert "Retry-After" not in refused.headers
    # another token of the same installation has its own three slots
    async with httpx.AsyncClient(
        base_url=sb.url, headers={"Shoptet-Access-Token": sb.api_token(SHOP.eshop_id)}
    ) as second:
        both = await asyncio.gather(
            *(api.get("/api/eshop") for _ in range(3)),
            *(second.get("/api/eshop") for _ in range(3)),
        )
    assert [r.status_code for r in both] == [200] * 6


async def test_error_rate_and_slow_ms_knobs(
    api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    await control.patch("/faults", json={"error_rate": 1.0})
    failed = await api.get("/api/eshop")
    assert (
        failed.status_code == 500
        and failed.json()["errors"][0]["errorCode"] == "internal-server-error"
    )
    await control.patch("/faults", json={"error_rate": 0.5, "error_status": 503})
    statuses = [(await api.get("/api/eshop")).status_code for _ in range(40)]
    assert 5 < statuses.count(503) < 35 and statuses.count(200) + statuses.count(503) == 40
    await control.patch("/faults", json={"error_rate": 0, "slow_ms": 250})
    began = time.monotonic()
    assert (await api.get("/api/eshop")).status_code == 200
    assert time.monotonic() - began >= 0.25
    knobs = (await control.get("/faults")).json()
    assert knobs["slow_ms"] == 250 and knobs["bucket_capacity"] == 200


async def test_clock_moves_forward_only(control: httpx.AsyncClient) -> None:
    before = (await control.get("/clock")).json()
    after = (await control.post("/clock", json={"advance_seconds": 3600})).json()
    assert after["offsetSeconds"] == before["offsetSeconds"] + 3600
    assert (await control.post("/clock", json={"advance_seconds": -1})).status_code == 422
