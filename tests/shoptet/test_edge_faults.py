"""The client against Shoptet misbehaviour the sandbox learned for issue 14: results served
with a Content-Encoding (cases 4) and a 429 whose Retry-After is its own Date (case 5)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from activities.shoptet import OAuthTokenSource, ShoptetClient
from activities.shoptet.errors import RateLimited
from activities.snapshots.files import unpack
from infra.sandbox.testing import RunningSandbox, running_receiver

from .conftest import QUICK, SHOP


async def _finished_job(client: ShoptetClient) -> dict:  # type: ignore[type-arg]
    async with running_receiver() as hooks:  # Shoptet wants a job:finished webhook registered
        await client.post("/api/webhooks", {"data": [{"event": "job:finished", "url": hooks.url}]})
        job_id = (await client.get("/api/orders/snapshot"))["jobId"]
        await hooks.wait_for(1)
    job = (await client.get(f"/api/system/jobs/{job_id}"))["job"]
    assert job["status"] == "completed", job
    return job


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "gzip, gzip"])
async def test_a_result_with_content_encoding_is_decoded_then_sniffed(
    client: ShoptetClient, control, tmp_path, encoding: str
) -> None:  # type: ignore[no-untyped-def]
    (await control.patch("/faults", json={"result_encoding": encoding})).raise_for_status()
    job = await _finished_job(client)
    raw = tmp_path / "result.raw"
    await client.download(job["resultUrl"], raw)
    unpacked = unpack(raw, tmp_path / "work.jsonl", chunk_lines=1000)
    assert unpacked.gzip  # the file under the transfer encoding is Shoptet's gzip JSON lines
    assert unpacked.lines == SHOP.orders
    lines = (tmp_path / "work.jsonl").read_bytes().splitlines()
    assert len(lines) == SHOP.orders and all(line.startswith(b'{"code":') or b'"code"' in line for line in lines)


async def test_retry_after_at_its_own_date_still_waits_the_floor(
    sb: RunningSandbox, tokens: OAuthTokenSource, http, control
) -> None:  # type: ignore[no-untyped-def]
    await control.patch(
        "/faults", json={"bucket_capacity": 1, "leak_per_second": 0.001, "retry_after_at_date": True}
    )
    policy = replace(QUICK, throttle_threshold=1.0, max_rate_limited=3, min_wait=0.05)
    async with ShoptetClient(sb.url, tokens, http=http, policy=policy) as shoptet:
        await shoptet.get("/api/eshop")  # fills the one-drop bucket
        with pytest.raises(RateLimited):
            await shoptet.get("/api/eshop")
        waited = shoptet.governor.paused_seconds
    counters = (await control.get("/stats")).json()["counters"]
    assert counters["rate_limited_bucket"] == 4  # the first answer and 3 retries, then it gives up
    # before: Retry-After <= Date meant waits of 0 s (101 requests in 0.24 s); now each of the
    # 3 retries waited at least the floor (plus jitter)
    assert waited >= 3 * 0.05
