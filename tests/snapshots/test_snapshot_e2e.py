"""Snapshots end to end: API → Temporal dev server → worker → Shoptet sandbox → PostgreSQL."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session
from temporalio import activity
from temporalio.worker import Worker

from activities.registry import ACTIVITIES
from activities.snapshots import pipeline as snapshot_activities
from infra.sandbox.generator import ShopSpec, iter_records
from infra.sandbox.testing import RunningSandbox
from infra.temporal_client import connect
from tests.snapshots.conftest import Login, connect_shop, new_eshop_id
from tests.support import assert_problem
from workflows.queues import Queue
from workflows.registry import WORKFLOWS
from workflows.snapshots import DownloadRequest, ResultFile


def expected_orders(spec: ShopSpec) -> tuple[int, int, Decimal, Decimal]:
    orders = items = 0
    total = item_total = Decimal(0)
    for doc in iter_records(spec, "orders"):
        orders += 1
        total += Decimal(doc["price"]["withVat"])
        for item in doc["items"]:
            items += 1
            item_total += Decimal(item["itemPrice"]["withVat"])
    return orders, items, total, item_total


def db_orders(db: Session, shop_id: int) -> tuple[int, int, Decimal, Decimal]:
    db.expire_all()
    row = db.execute(
        text(
            "SELECT (SELECT count(*) FROM orders WHERE shop_id = :s), "
            "(SELECT count(*) FROM order_items WHERE shop_id = :s), "
            "(SELECT coalesce(sum(total_with_vat), 0) FROM orders WHERE shop_id = :s), "
            "(SELECT coalesce(sum(price_with_vat), 0) FROM order_items WHERE shop_id = :s)"
        ),
        {"s": shop_id},
    ).one()
    orders, items, total, item_total = row
    return int(orders), int(items), Decimal(total), Decimal(item_total)


async def wait_for_run(api: httpx.AsyncClient, run_id: int, *, timeout: float = 90) -> dict[str, Any]:
    seen_progress = []
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        run = (await api.get(f"/api/snapshot-runs/{run_id}")).json()
        seen_progress.append(run.get("percent"))
        if run["status"] not in ("pending", "running"):
            run["seen_progress"] = seen_progress
            return run
        await asyncio.sleep(0.3)
    raise AssertionError(f"run {run_id} did not finish in {timeout} s: {run}")


async def test_full_orders_snapshot_lands_exactly_and_rerun_changes_nothing(
    api: httpx.AsyncClient, worker: list[object], live_api: str, sandbox: RunningSandbox, db_session: Session, manager: Login
) -> None:
    spec = ShopSpec(eshop_id=new_eshop_id(), seed=21, orders=1800, products=60, customers=300)
    connected = await connect_shop(sandbox, live_api, db_session, spec)
    shop_id = connected.shop.id
    await manager(shop_id)
    started = await api.post(f"/api/shops/{shop_id}/snapshot-runs", json={"resource": "orders"})
    assert started.status_code == 202, started.text
    run = await wait_for_run(api, started.json()["id"])
    assert run["status"] == "completed", run
    assert run["percent"] == 100.0 and run["processed_lines"] == run["total_lines"] == 1800
    assert run["file_sha256"] and len(run["file_sha256"]) == 64
    assert db_orders(db_session, shop_id) == expected_orders(spec)
    assert run["rows_upserted"] == sum(expected_orders(spec)[:2])
    # the job:finished webhook arrived, was verified and signalled the workflow
    events = (await api.get(f"/api/shops/{shop_id}/webhook-events")).json()["items"]
    assert [e["status"] for e in events if e["event"] == "job:finished"] == ["dispatched"]
    assert "signalled" in events[0]["reason"]

    again = await api.post(f"/api/shops/{shop_id}/snapshot-runs", json={"resource": "orders"})
    rerun = await wait_for_run(api, again.json()["id"])
    assert rerun["status"] == "completed" and rerun["rows_upserted"] == 0
    assert db_orders(db_session, shop_id) == expected_orders(spec)


async def test_products_and_customers_snapshots(api: httpx.AsyncClient, worker: list[object], live_api: str, sandbox: RunningSandbox, db_session: Session, manager: Login) -> None:
    spec = ShopSpec(eshop_id=new_eshop_id(), seed=4, orders=10, products=120, customers=700)
    connected = await connect_shop(sandbox, live_api, db_session, spec)
    shop_id = connected.shop.id
    await manager(shop_id)
    for resource in ("products", "customers"):
        started = await api.post(f"/api/shops/{shop_id}/snapshot-runs", json={"resource": resource})
        run = await wait_for_run(api, started.json()["id"])
        assert run["status"] == "completed", run
    counts = db_session.execute(
        text(
            "SELECT (SELECT count(*) FROM products WHERE shop_id = :s), "
            "(SELECT count(*) FROM customers WHERE shop_id = :s), "
            "(SELECT count(*) FROM variants WHERE shop_id = :s), "
            "(SELECT count(*) FROM stock_levels WHERE shop_id = :s)"
        ),
        {"s": shop_id},
    ).one()
    docs = list(iter_records(spec, "products"))
    variants = sum(len(d["variants"]) for d in docs)
    assert counts[0] == 120 and counts[1] == 700 and counts[2] == variants
    assert counts[3] == variants * spec.stocks


async def test_malformed_lines_are_quarantined(api: httpx.AsyncClient, worker: list[object], live_api: str, sandbox: RunningSandbox, db_session: Session, manager: Login) -> None:
    spec = ShopSpec(eshop_id=new_eshop_id(), seed=9, orders=600, products=40, customers=100)
    connected = await connect_shop(sandbox, live_api, db_session, spec)
    sandbox.state.set_knobs({"malformed_rate": 0.05})
    await manager(connected.shop.id)
    started = await api.post(f"/api/shops/{connected.shop.id}/snapshot-runs", json={"resource": "orders"})
    run = await wait_for_run(api, started.json()["id"])
    job = httpx.get(f"{sandbox.url}/_sandbox/jobs/{run['job_id']}").json()
    assert run["status"] == "completed_with_rejects"
    assert run["rejected_lines"] == job["malformedLines"] > 0
    rejects = (await api.get(f"/api/snapshot-runs/{run['id']}/rejects?limit=500")).json()["items"]
    assert len(rejects) == run["rejected_lines"]
    assert all("not valid JSON" in r["reason"] and r["raw"] for r in rejects)
    orders = db_orders(db_session, connected.shop.id)[0]
    assert orders == 600 - run["rejected_lines"]  # every valid neighbour landed
    notes = (await api.get("/api/notifications")).json()["items"]
    assert any(n["kind"] == "snapshot.rejects" and n["data"]["run_id"] == run["id"] for n in notes)


async def test_failed_run_is_recorded_and_retried_from_the_api(api: httpx.AsyncClient, worker: list[object], live_api: str, sandbox: RunningSandbox, db_session: Session, manager: Login) -> None:
    spec = ShopSpec(eshop_id=new_eshop_id(), seed=13, orders=300, products=30, customers=80)
    connected = await connect_shop(sandbox, live_api, db_session, spec)
    await manager(connected.shop.id)
    sandbox.state.set_knobs({"job_fail": True})
    started = await api.post(f"/api/shops/{connected.shop.id}/snapshot-runs", json={"resource": "orders"})
    failed = await wait_for_run(api, started.json()["id"])
    assert failed["status"] == "failed" and "did not complete a snapshot job" in failed["error"]
    # only failed runs can be retried; a second start while one runs is refused
    sandbox.state.set_knobs({"job_fail": False})
    retried = await api.post(f"/api/snapshot-runs/{failed['id']}/retry")
    assert retried.status_code == 202, retried.text
    assert retried.json()["retry_of"] == failed["id"] and retried.json()["attempt"] == 2
    assert_problem(await api.post(f"/api/snapshot-runs/{failed['id']}/retry"), 409)
    done = await wait_for_run(api, retried.json()["id"])
    assert done["status"] == "completed"
    assert db_orders(db_session, connected.shop.id) == expected_orders(spec)


async def test_double_click_starts_one_run(api: httpx.AsyncClient, worker: list[object], live_api: str, sandbox: RunningSandbox, db_session: Session, manager: Login) -> None:
    spec = ShopSpec(eshop_id=new_eshop_id(), seed=2, orders=200, products=20, customers=40)
    connected = await connect_shop(sandbox, live_api, db_session, spec)
    await manager(connected.shop.id)
    url = f"/api/shops/{connected.shop.id}/snapshot-runs"
    answers = await asyncio.gather(*(api.post(url, json={"resource": "orders"}) for _ in range(6)))
    codes = sorted(a.status_code for a in answers)
    assert codes.count(202) == 1 and codes.count(409) == 5, codes
    winner = next(a for a in answers if a.status_code == 202).json()
    assert all(a.json().get("run_id") == winner["id"] for a in answers if a.status_code == 409)
    await wait_for_run(api, winner["id"])


# the sandbox to expire jobs at, and the jobs expired so far
EXPIRE_BEFORE_DOWNLOAD: dict[str, Any] = {"sandbox": None, "expired": []}


@activity.defn(name="download_result")
async def download_after_expiry(req: DownloadRequest) -> ResultFile:
    """The real download, after Shoptet's 24 h have passed for the first job it sees."""
    expired: list[str] = EXPIRE_BEFORE_DOWNLOAD["expired"]
    if not expired:
        expired.append(req.job_id)
        async with httpx.AsyncClient() as http:
            await http.post(f"{EXPIRE_BEFORE_DOWNLOAD['sandbox']}/_sandbox/jobs/{req.job_id}/expire")
    return await snapshot_activities.download_result(req)


async def test_expired_result_triggers_a_fresh_job(api: httpx.AsyncClient, live_api: str, sandbox: RunningSandbox, db_session: Session, manager: Login, temporal_env: object) -> None:
    """A result that expired before download is replaced by a new job, not a crash."""
    EXPIRE_BEFORE_DOWNLOAD.update(sandbox=sandbox.url, expired=[])
    client = await connect()
    activities = [
        download_after_expiry if getattr(a, "__name__", "") == "download_result" else a
        for a in ACTIVITIES[Queue.SNAPSHOTS]
    ]
    worker = Worker(client, task_queue=Queue.SNAPSHOTS.value, workflows=WORKFLOWS[Queue.SNAPSHOTS],
                    activities=activities)
    async with worker:
        spec = ShopSpec(eshop_id=new_eshop_id(), seed=31, orders=150, products=20, customers=40)
        connected = await connect_shop(sandbox, live_api, db_session, spec)
        await manager(connected.shop.id)
        started = await api.post(f"/api/shops/{connected.shop.id}/snapshot-runs", json={"resource": "orders"})
        run = await wait_for_run(api, started.json()["id"])
    expired = EXPIRE_BEFORE_DOWNLOAD["expired"]
    assert run["status"] == "completed", run
    assert expired and run["job_id"] != expired[0]  # a second job delivered the data
    assert db_orders(db_session, connected.shop.id)[0] == 150


async def test_incremental_snapshot_with_changed_since(api: httpx.AsyncClient, worker: list[object], live_api: str, sandbox: RunningSandbox, db_session: Session, manager: Login) -> None:
    """`changed_since` travels through the workflow to Shoptet's changeTimeFrom filter."""
    spec = ShopSpec(eshop_id=new_eshop_id(), seed=37, orders=400, products=20, customers=60)
    connected = await connect_shop(sandbox, live_api, db_session, spec)
    await manager(connected.shop.id)
    since = "2024-06-01T00:00:00+02:00"
    started = await api.post(
        f"/api/shops/{connected.shop.id}/snapshot-runs", json={"resource": "orders", "changed_since": since}
    )
    assert started.status_code == 202, started.text
    run = await wait_for_run(api, started.json()["id"])
    assert run["status"] == "completed", run
    from datetime import datetime

    cutoff = datetime.fromisoformat(since)
    wanted = sum(
        1 for d in iter_records(spec, "orders")
        if datetime.strptime(d["changeTime"], "%Y-%m-%dT%H:%M:%S%z") >= cutoff
    )
    assert 0 < run["total_lines"] == wanted < 400
    assert db_orders(db_session, connected.shop.id)[0] == wanted
