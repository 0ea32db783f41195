"""Issue 14, cases 1 and 6: values PostgreSQL would refuse never fail a run, and a document
duplicated inside one batch counts whole in its newest version."""

from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import orjson
from sqlalchemy import text

from activities.snapshots.ingest.loader import Loader, build_batch
from db.engine import raw_connection
from infra.sandbox.generator import HOSTILE_ORDER_VALUES, ShopSpec, iter_records
from tests.snapshots.conftest import connect_shop, new_eshop_id
from tests.snapshots.test_ingest import _load_file
from tests.snapshots.test_snapshot_e2e import db_orders, wait_for_run

REASONS = {
    "impossible-date": "creationTime: not a real date and time: '2024-02-30T10:00:00+0100'",
    "vat-rate-1000": "items[0].vatRate: '1000.00' does not fit numeric(5,2)",
    "exchange-rate-overflow": "exchangeRate: '123456789.12345678' does not fit numeric(16,8)",
    "status-id-over-int": "id: 2147483648 is out of integer range",
    "nul-in-json": "deliveryAddress: contains a NUL character (\\u0000), which jsonb cannot store",
}


async def test_hostile_values_through_the_workflow_are_quarantined_and_the_run_completes(
    api, worker, live_api, sandbox, db_session, manager  # type: ignore[no-untyped-def]
) -> None:
    spec = ShopSpec(eshop_id=new_eshop_id(), seed=14, orders=600, products=40, customers=100)
    connected = await connect_shop(sandbox, live_api, db_session, spec)
    # every fifth hostile kind in turn, and the result gzip-encoded again on the way (case 4)
    sandbox.state.set_knobs({"hostile_rate": 0.05, "result_encoding": "gzip"})
    await manager(connected.shop.id)
    started = await api.post(f"/api/shops/{connected.shop.id}/snapshot-runs", json={"resource": "orders"})
    run = await wait_for_run(api, started.json()["id"])
    job = httpx.get(f"{sandbox.url}/_sandbox/jobs/{run['job_id']}").json()
    hostile: list[int] = job["hostileLines"]
    assert run["status"] == "completed_with_rejects", run
    # the sandbox draws the lines from the job's random id: ~30 of 600 at 5 %; every kind twice
    # over needs 10 (fewer: odds ~1e-5; the ">= 20" this was, ~2.6 %, failed here once)
    assert len(hostile) >= 2 * len(HOSTILE_ORDER_VALUES) and run["rejected_lines"] == len(hostile)
    rejects = (await api.get(f"/api/snapshot-runs/{run['id']}/rejects?limit=500")).json()["items"]
    kinds = list(HOSTILE_ORDER_VALUES)
    docs = list(iter_records(spec, "orders"))
    expected = []
    for i, line in enumerate(hostile):
        kind = kinds[i % len(kinds)]
        if kind == "vat-rate-1000" and not docs[line - 1]["items"]:
            kind = "impossible-date"
        expected.append((line, REASONS[kind]))
    assert [(r["line_no"], r["reason"]) for r in rejects] == expected
    orders, items, _, _ = db_orders(db_session, connected.shop.id)
    assert orders == 600 - len(hostile)  # every other line landed
    good = [d for n, d in enumerate(docs, 1) if n not in set(hostile)]
    assert items == sum(len(d["items"]) for d in good)


async def test_a_batch_postgresql_refuses_is_bisected_to_the_bad_line(db_session, make_shop) -> None:  # type: ignore[no-untyped-def]
    from db.models import SnapshotRun

    shop = make_shop()
    run = SnapshotRun(shop_id=shop.id, resource="orders", workflow_id=f"t-{shop.id}", status="running")
    db_session.add(run)
    db_session.commit()
    spec = ShopSpec(eshop_id=shop.eshop_id, seed=8, orders=50, products=20, customers=10)
    docs = list(iter_records(spec, "orders"))
    raw = {n: orjson.dumps(d) for n, d in enumerate(docs, 1)}

    def spoiled() -> object:
        """A value the field checks pass but the column refuses (as if a check were missing):
        line 17's currency becomes four letters in a varchar(3)."""
        batch = build_batch("orders", shop.id, raw.items(), 51, 0)
        rows = batch.copy["orders"].split(b"\n")
        at = list(batch.line_nos["orders"]).index(17)
        cols = rows[at].split(b"\t")
        cols[21] = b"CZKX"
        rows[at] = b"\t".join(cols)
        batch.copy["orders"] = b"\n".join(rows)
        return batch

    conn = await raw_connection()
    try:
        loader = Loader(conn, "orders", shop.id)
        texts = {n: r.decode() for n, r in raw.items()}
        first = await loader.load(spoiled(), run_id=run.id, raw_lines=lambda ns: {n: texts[n] for n in ns})
        second = await loader.load(spoiled(), run_id=run.id)  # now the upsert path refuses it
    finally:
        await conn.close()
    assert first.rejected == 1 and [r.line_no for r in first.refused] == [17]
    assert second.upserted == 0 and [r.line_no for r in second.refused] == [17]
    reason = "refused by PostgreSQL: value too long for type character varying(3)"
    assert first.refused[0].reason.startswith(reason + " (COPY ")
    kept = db_session.execute(
        text("SELECT line_no, reason, raw FROM snapshot_rejects WHERE run_id = :r"), {"r": run.id}
    ).all()
    assert [(k.line_no, k.reason.split(" (")[0], k.raw == texts[17]) for k in kept] == [(17, reason, True)]
    counts = db_session.execute(
        text("SELECT (SELECT count(*) FROM orders WHERE shop_id = :s), (SELECT count(*) FROM order_items "
             "WHERE shop_id = :s), (SELECT count(*) FROM orders WHERE shop_id = :s AND code = :c)"),
        {"s": shop.id, "c": docs[16]["code"]},
    ).one()
    assert tuple(counts) == (49, sum(len(d["items"]) for i, d in enumerate(docs) if i != 16), 0)


async def test_the_newest_version_of_a_duplicated_order_wins_whole(tmp_path: Path, db_session, make_shop) -> None:  # type: ignore[no-untyped-def]
    shop = make_shop()
    spec = ShopSpec(eshop_id=shop.eshop_id, seed=3, orders=30, products=20, customers=10)
    doc = next(d for d in iter_records(spec, "orders") if len(d["items"]) >= 3)
    newer = dict(doc, changeTime="2030-01-02T10:00:00+0100")  # items A, B, C...
    older = dict(doc, changeTime="2030-01-01T10:00:00+0100", items=[doc["items"][0]])
    tie = dict(doc, changeTime="2030-01-02T10:00:00+0100", items=doc["items"][1:])
    path = tmp_path / "dup.jsonl.gz"
    # the newest first, then an older state: the older one loses whole, its items too
    with gzip.open(path, "wb") as fh:
        fh.write(orjson.dumps(newer) + b"\n" + orjson.dumps(older) + b"\n")
    _, results = await _load_file(path, tmp_path / "w1", shop.id, "orders")
    items = lambda: db_session.execute(  # noqa: E731
        text("SELECT item_id FROM order_items WHERE shop_id = :s AND order_code = :c ORDER BY item_id"),
        {"s": shop.id, "c": doc["code"]},
    ).scalars().all()
    assert items() == sorted(int(i["itemId"]) for i in doc["items"])
    assert sum(r.rejected for r in results) == 0
    # equal change times: the later line wins whole
    with gzip.open(path, "wb") as fh:
        fh.write(orjson.dumps(newer) + b"\n" + orjson.dumps(tie) + b"\n")
    await _load_file(path, tmp_path / "w2", shop.id, "orders")
    db_session.expire_all()
    assert items() == sorted(int(i["itemId"]) for i in tie["items"])
    assert db_session.execute(
        text("SELECT count(*), max(item_count) FROM orders WHERE shop_id = :s"), {"s": shop.id}
    ).one() == (1, len(tie["items"]))
