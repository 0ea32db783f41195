"""Snapshot jobs: 403 without job:finished, life cycle, gzip JSON-lines results, signed webhook,
10-poll limit, 24 h validity, and the job_fail / job_hang / malformed_rate knobs."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import hmac
from collections.abc import Callable
from typing import Any

import httpx
import orjson

from infra.sandbox.formats import parse_shoptet_time
from infra.sandbox.testing import RunningSandbox, running_receiver

from .conftest import SHOP


async def _register(api: httpx.AsyncClient, url: str, *events: str) -> str:
    response = await api.post(
        "/api/webhooks", json={"data": [{"event": e, "url": url} for e in events]}
    )
    assert response.status_code == 201, response.text
    return (await api.post("/api/webhooks/renew-signature-key")).json()["data"]["signatureKey"]


async def _job(api: httpx.AsyncClient, job_id: str, token: str | None = None) -> dict[str, Any]:
    """Job detail (counts as a poll); pass a fresh `token` after moving the clock past 30 min."""
    headers = {"Shoptet-Access-Token": token} if token else None
    response = await api.get(f"/api/system/jobs/{job_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]["job"]


async def _wait_done(
    control: httpx.AsyncClient, job_id: str, timeout: float = 5.0
) -> dict[str, Any]:
    """Wait via the control API (which does not count as a poll)."""
    for _ in range(int(timeout / 0.02)):
        job = (await control.get(f"/jobs/{job_id}")).json()
        if job["status"] not in ("pending", "running"):
            return job
        await asyncio.sleep(0.02)
    raise AssertionError(f"job {job_id} still {job['status']}")


async def test_snapshot_needs_a_job_finished_webhook(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/orders/snapshot")
    assert response.status_code == 403
    assert response.json()["data"] is None and response.json()["errors"][0]["message"]


async def test_orders_snapshot_life_cycle_result_file_and_signed_webhook(
    api: httpx.AsyncClient,
    control: httpx.AsyncClient,
    conforms: Callable[..., None],
) -> None:
    async with running_receiver() as hooks:
        key = await _register(api, hooks.url, "job:finished")
        await control.patch("/faults", json={"job_pending_ms": 400, "job_running_ms": 400})
        started = await api.get(
            "/api/orders/snapshot", params={"creationTimeFrom": "2024-01-01T00:00:00+0100"}
        )
        assert started.status_code == 202
        job_id = started.json()["data"]["jobId"]
        seen = [(await _job(api, job_id))["status"]]
        while seen[-1] != "completed":
            await asyncio.sleep(0.12)  # stays under the 10-poll limit while the job runs
            seen.append((await _job(api, job_id))["status"])
        assert seen[0] == "pending" and "running" in seen
        conforms(started.json(), "/api/orders/snapshot", status="202")
        detail = await api.get(f"/api/system/jobs/{job_id}")
        conforms(detail.json(), "/api/system/jobs/{jobId}")
        job = detail.json()["data"]["job"]
        assert job["endpoint"] == "/api/orders/snapshot"
        assert (
            parse_shoptet_time(job["validUntil"]) - parse_shoptet_time(job["completionTime"])
            == 86400
        )
        assert float(job["duration"]) > 0
        assert job["resultUrl"].endswith(".json") and f"/api-results/{job_id}-" in job["resultUrl"]

        (note,) = await hooks.wait_for(1)
        assert orjson.loads(note.body) == {
            "eshopId": SHOP.eshop_id,
            "event": "job:finished",
            "eventCreated": orjson.loads(note.body)["eventCreated"],
            "eventInstance": job_id,
        }
        expected = hmac.new(key.encode(), note.body, hashlib.sha1).hexdigest()
        assert note.headers["shoptet-webhook-signature"] == expected

        result = await api.get(job["resultUrl"], headers={"Shoptet-Access-Token": ""})
        assert result.status_code == 200 and result.content[:2] == b"\x1f\x8b"
    lines = gzip.decompress(result.content).splitlines()
    orders = [orjson.loads(line) for line in lines]
    listed = await api.get("/api/orders", params={"creationTimeFrom": "2024-01-01T00:00:00+0100"})
    assert len(orders) == listed.json()["data"]["paginator"]["totalCount"] > 0
    assert all(o["creationTime"] >= "2024-01-01" for o in orders)
    for order in orders:
        conforms(order, component="order")
    for order in orders[::25]:
        detail = await api.get(f"/api/orders/{order['code']}")
        assert detail.json()["data"]["order"] == order  # a line is exactly the detail


async def test_products_and_customers_snapshots_match_their_detail_schemas(
    api: httpx.AsyncClient,
    control: httpx.AsyncClient,
    conforms: Callable[..., None],
) -> None:
    async with running_receiver() as hooks:
        await _register(api, hooks.url, "job:finished")
        for resource, component, count in (
            ("products", "product", SHOP.products),
            ("customers", "customer", SHOP.customers),
        ):
            job_id = (
                await api.get(f"/api/{resource}/snapshot", params={"changeTimeFrom": "2000-01-01"})
            ).json()["data"]["jobId"]
            job = await _wait_done(control, job_id)
            rows = gzip.decompress((await api.get(job["resultUrl"])).content).splitlines()
            assert len(rows) == count
            for row in rows:
                conforms(orjson.loads(row), component=component)


async def test_job_detail_polling_limit_while_unprocessed(
    api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    async with running_receiver() as hooks:
        await _register(api, hooks.url, "job:finished")
        await control.patch("/faults", json={"job_hang": True})
        job_id = (await api.get("/api/customers/snapshot")).json()["data"]["jobId"]
        for _ in range(10):
            assert (await api.get(f"/api/system/jobs/{job_id}")).status_code == 200
        eleventh = await api.get(f"/api/system/jobs/{job_id}")
    assert eleventh.status_code == 403
    error = eleventh.json()["errors"][0]
    assert (
        error["errorCode"] == "job-detail-try-counter-exceeded-limit"
        and error["instance"] == job_id
    )
    missing = await api.get("/api/system/jobs/nojob00")
    assert (
        missing.status_code == 404 and missing.json()["errors"][0]["errorCode"] == "job-not-found"
    )


async def test_hanging_job_fails_three_hours_after_creation_without_webhook(
    api: httpx.AsyncClient, control: httpx.AsyncClient, sb: RunningSandbox
) -> None:
    async with running_receiver() as hooks:
        await _register(api, hooks.url, "job:finished")
        await control.patch("/faults", json={"job_hang": True})
        job_id = (await api.get("/api/orders/snapshot")).json()["data"]["jobId"]
        await asyncio.sleep(0.3)
        assert (await control.get(f"/jobs/{job_id}")).json()["status"] == "running"
        await control.post("/clock", json={"advance_seconds": 3 * 3600 - 5})
        assert (await control.get(f"/jobs/{job_id}")).json()["status"] == "running"
        await control.post("/clock", json={"advance_seconds": 10})
        job = await _job(api, job_id, sb.state.api_token(SHOP.eshop_id))
        assert job["status"] == "failed" and job["log"] and job["resultUrl"] is None
        await asyncio.sleep(0.1)
        assert hooks.received == []


async def test_failing_job_still_sends_job_finished(
    api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    async with running_receiver() as hooks:
        await _register(api, hooks.url, "job:finished")
        await control.patch("/faults", json={"job_fail": True})
        job_id = (await api.get("/api/orders/snapshot")).json()["data"]["jobId"]
        (note,) = await hooks.wait_for(1)
    assert orjson.loads(note.body)["eventInstance"] == job_id
    job = await _job(api, job_id)
    assert job["status"] == "failed" and "failed" in job["log"] and job["resultUrl"] is None


async def test_results_expire_after_24_hours(
    api: httpx.AsyncClient, control: httpx.AsyncClient, sb: RunningSandbox
) -> None:
    async with running_receiver() as hooks:
        await _register(api, hooks.url, "job:finished")
        first = (await api.get("/api/customers/snapshot")).json()["data"]["jobId"]
        second = (await api.get("/api/products/snapshot")).json()["data"]["jobId"]
        url_first = (await _wait_done(control, first))["resultUrl"]
        url_second = (await _wait_done(control, second))["resultUrl"]
    await control.post("/clock", json={"advance_seconds": 86400 - 60})
    assert (await api.get(url_first)).status_code == 200
    await control.post("/clock", json={"advance_seconds": 120})
    gone = await api.get(url_first)
    assert gone.status_code == 404
    job = await _job(api, first, sb.state.api_token(SHOP.eshop_id))
    assert job["status"] == "expired" and job["resultUrl"] is None
    assert not list(sb.state.results_dir.glob(f"{first}-*"))  # the file is deleted, not just hidden
    # the control API expires on demand
    await control.post("/clock", json={"advance_seconds": 0})
    assert (await control.post(f"/jobs/{second}/expire")).json()["status"] == "expired"
    assert (await api.get(url_second)).status_code == 404


async def test_malformed_rate_breaks_some_result_lines(
    api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    async with running_receiver() as hooks:
        await _register(api, hooks.url, "job:finished")
        await control.patch("/faults", json={"malformed_rate": 0.2})
        job = await _wait_done(
            control, (await api.get("/api/orders/snapshot")).json()["data"]["jobId"]
        )
        raw = gzip.decompress((await api.get(job["resultUrl"])).content).splitlines()
    broken = 0
    for line in raw:
        try:
            orjson.loads(line)
        except orjson.JSONDecodeError:
            broken += 1
    assert len(raw) == SHOP.orders
    assert broken == job["malformedLines"] and 60 < broken < 180
