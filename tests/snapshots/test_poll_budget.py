"""Issue 14, case 3: a job whose `job:finished` was lost is found by the 10th poll Shoptet
still allows, made at the deadline, instead of being thrown away after the 9th.

Real pieces: the SnapshotWorkflow on the dev server, the activities, the sandbox with its
10-poll limit and the `drop_job_finished` knob. The run's poll delays and deadline are
shortened through its params (1 s apart, 20 s), the sandbox job stays unprocessed 12 s."""

from __future__ import annotations

import httpx
from sqlalchemy import text

from infra.sandbox.generator import ShopSpec
from tests.snapshots.conftest import connect_shop, new_eshop_id
from tests.snapshots.test_snapshot_durability import _start, _wait


async def test_the_tenth_poll_at_the_deadline_finds_a_job_whose_webhook_was_lost(
    worker, live_api, sandbox, db_session  # type: ignore[no-untyped-def]
) -> None:
    spec = ShopSpec(eshop_id=new_eshop_id(), seed=31, orders=40, products=20, customers=20)
    connected = await connect_shop(sandbox, live_api, db_session, spec)
    # pending for 12 s: all 9 polls (1 s apart) see it unprocessed; its webhook never comes
    sandbox.state.set_knobs({"drop_job_finished": True, "job_pending_ms": 12_000})
    run = await _start(connected.shop.id, {"poll_delays": [1] * 9, "job_deadline_s": 20})
    row = await _wait(db_session, run.id, lambda r: r.status not in ("pending", "running"), timeout=90)
    job_id = db_session.execute(text("SELECT job_id FROM snapshot_runs WHERE id = :r"), {"r": run.id}).scalar_one()
    job = httpx.get(f"{sandbox.url}/_sandbox/jobs/{job_id}").json()
    stats = httpx.get(f"{sandbox.url}/_sandbox/stats").json()["counters"]
    assert row.status == "completed", row
    assert stats["jobs_created"] == 1  # the job was not thrown away for a fresh one
    assert stats["job_finished_dropped"] == 1
    # 9 polls saw it unprocessed (the sandbox counts those against the limit of 10); the 10th,
    # at the deadline, found it completed. Before: after the 9th the run waited, gave the job
    # up at the deadline and asked for a fresh one.
    assert job["polls"] == 9 and job["status"] == "completed"
    orders = db_session.execute(text("SELECT count(*) FROM orders WHERE shop_id = :s"), {"s": connected.shop.id})
    assert orders.scalar_one() == 40
