"""The ingest path on real PostgreSQL: exact counts and sums, idempotence, quarantine."""

from __future__ import annotations

import gzip
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from activities.snapshots.files import Unpacked, read_lines, unpack
from activities.snapshots.ingest.loader import Loader, LoadResult, build_batch
from db.engine import raw_connection
from infra.sandbox.generator import ShopSpec, iter_records, write_snapshot_file
from tests.support import MakeShop


def _expected(spec: ShopSpec) -> tuple[int, int, Decimal, Decimal]:
    orders = items = 0
    total = item_total = Decimal(0)
    for doc in iter_records(spec, "orders"):
        orders += 1
        total += Decimal(doc["price"]["withVat"])
        for item in doc["items"]:
            items += 1
            item_total += Decimal(item["itemPrice"]["withVat"])
    return orders, items, total, item_total


async def _load_file(
    path: Path, work: Path, shop_id: int, resource: str, run_id: int | None = None
) -> tuple[Unpacked, list[LoadResult]]:
    unpacked = unpack(path, work, chunk_lines=1000)
    conn = await raw_connection()
    try:
        loader = Loader(conn, resource, shop_id)
        totals: list[LoadResult] = []
        for start in range(len(unpacked.offsets)):
            first = 1 + start * 1000
            lines = [(n, raw) for n, _, raw in read_lines(work, first, unpacked.offsets[start], first + 1000)]
            batch = build_batch(resource, shop_id, lines, first + len(lines), 0)
            totals.append(await loader.load(batch, run_id=run_id))
        return unpacked, totals
    finally:
        await conn.close()


def _db_totals(db_session: Session, shop_id: int) -> Row[Any]:
    return db_session.execute(
        text(
            "SELECT (SELECT count(*) FROM orders WHERE shop_id = :s), "
            "(SELECT count(*) FROM order_items WHERE shop_id = :s), "
            "(SELECT coalesce(sum(total_with_vat), 0) FROM orders WHERE shop_id = :s), "
            "(SELECT coalesce(sum(price_with_vat), 0) FROM order_items WHERE shop_id = :s)"
        ),
        {"s": shop_id},
    ).one()


async def test_orders_land_exactly_and_reloading_changes_nothing(tmp_path: Path, db_session: Session, make_shop: MakeShop) -> None:
    shop = make_shop()
    spec = ShopSpec(eshop_id=shop.eshop_id, seed=7, orders=2500, products=80, customers=400)
    path = tmp_path / "orders.gz"
    write_snapshot_file(path, spec, "orders")
    unpacked, first = await _load_file(path, tmp_path / "w.jsonl", shop.id, "orders")
    assert unpacked.gzip and unpacked.lines == 2500
    assert tuple(_db_totals(db_session, shop.id)) == _expected(spec)
    assert sum(r.upserted for r in first) == sum(_expected(spec)[:2])
    versions = db_session.execute(
        text("SELECT sum(xmin::text::bigint) FROM orders WHERE shop_id = :s"), {"s": shop.id}
    ).scalar_one()
    _, again = await _load_file(path, tmp_path / "w2.jsonl", shop.id, "orders")
    assert sum(r.upserted for r in again) == 0
    db_session.expire_all()
    assert tuple(_db_totals(db_session, shop.id)) == _expected(spec)
    assert db_session.execute(
        text("SELECT sum(xmin::text::bigint) FROM orders WHERE shop_id = :s"), {"s": shop.id}
    ).scalar_one() == versions  # not even a new row version


async def test_edited_order_replaces_its_items(tmp_path: Path, db_session: Session, make_shop: MakeShop) -> None:
    shop = make_shop()
    spec = ShopSpec(eshop_id=shop.eshop_id, seed=3, orders=5, products=20, customers=10)
    docs = list(iter_records(spec, "orders"))
    doc = next(d for d in docs if len(d["items"]) >= 3)
    first = tmp_path / "a.jsonl"
    first.write_bytes(orjson.dumps(doc) + b"\n")
    await _load_file(first, tmp_path / "a.work", shop.id, "orders")
    edited = dict(doc, items=doc["items"][1:], changeTime="2030-01-01T10:00:00+0100")
    second = tmp_path / "b.jsonl"
    second.write_bytes(orjson.dumps(edited) + b"\n")
    _, results = await _load_file(second, tmp_path / "b.work", shop.id, "orders")
    assert results[0].upserted == 1  # the order changed; its remaining items did not
    ids = db_session.execute(
        text("SELECT item_id FROM order_items WHERE shop_id = :s AND order_code = :c ORDER BY item_id"),
        {"s": shop.id, "c": doc["code"]},
    ).scalars().all()
    assert ids == sorted(int(i["itemId"]) for i in edited["items"])


async def test_bad_lines_are_quarantined_and_neighbours_land(tmp_path: Path, db_session: Session, make_shop: MakeShop) -> None:
    from db.models import SnapshotRun

    shop = make_shop()
    run = SnapshotRun(shop_id=shop.id, resource="orders", workflow_id=f"t-{shop.id}", status="running")
    db_session.add(run)
    db_session.commit()
    spec = ShopSpec(eshop_id=shop.eshop_id, seed=5, orders=6, products=20, customers=10)
    docs = list(iter_records(spec, "orders"))
    lines = [orjson.dumps(d) for d in docs]
    lines[1] = lines[1][:40]  # cut in half
    bad_price = dict(docs[3], price=dict(docs[3]["price"], withVat="12,50"))
    lines[3] = orjson.dumps(bad_price)
    lines[4] = b"[1, 2, 3]"
    path = tmp_path / "mixed.jsonl.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(b"\n".join(lines) + b"\n")
    _, results = await _load_file(path, tmp_path / "m.work", shop.id, "orders", run_id=run.id)
    assert sum(r.rejected for r in results) == 3
    rejects = db_session.execute(
        text("SELECT line_no, reason, raw FROM snapshot_rejects WHERE run_id = :r ORDER BY line_no"),
        {"r": run.id},
    ).all()
    assert [r.line_no for r in rejects] == [2, 4, 5]
    assert "not valid JSON" in rejects[0].reason
    assert "price.withVat" in rejects[1].reason or "withVat" in rejects[1].reason
    assert rejects[1].raw == lines[3].decode()
    codes = db_session.execute(
        text("SELECT code FROM orders WHERE shop_id = :s ORDER BY code"), {"s": shop.id}
    ).scalars().all()
    assert codes == sorted(docs[i]["code"] for i in (0, 2, 5))


def test_plain_json_result_is_accepted(tmp_path: Path) -> None:
    """The real API sometimes sends a result without gzip: sniff, do not trust the name."""
    plain = tmp_path / "result.json.gz"
    plain.write_bytes(b'{"a": 1}\n{"a": 2}')
    unpacked = unpack(plain, tmp_path / "out.jsonl", chunk_lines=1)
    assert not unpacked.gzip and unpacked.lines == 2 and unpacked.offsets == [0, 9]


def test_truncated_gzip_is_reported(tmp_path: Path) -> None:
    from activities.snapshots.files import SnapshotFileError

    path = tmp_path / "cut.gz"
    data = gzip.compress(b'{"a": 1}\n' * 1000)
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SnapshotFileError, match="not a complete gzip"):
        unpack(path, tmp_path / "out.jsonl", chunk_lines=10)


async def test_an_older_document_never_overwrites_a_newer_row(tmp_path: Path, db_session: Session, make_shop: MakeShop) -> None:
    """A snapshot ingested after a sync wrote newer data must not step back in time."""
    shop = make_shop()
    spec = ShopSpec(eshop_id=shop.eshop_id, seed=3, orders=5, products=20, customers=10)
    doc = next(d for d in iter_records(spec, "orders") if len(d["items"]) >= 3)
    newer = dict(doc, items=doc["items"][1:], changeTime="2030-01-02T10:00:00+0100",
                 price=dict(doc["price"], withVat="1.00"))
    older = dict(doc, changeTime="2030-01-01T10:00:00+0100")
    for name, version in (("new", newer), ("old", older)):
        path = tmp_path / f"{name}.jsonl"
        path.write_bytes(orjson.dumps(version) + b"\n")
        _, results = await _load_file(path, tmp_path / f"{name}.work", shop.id, "orders")
    assert results[0].upserted == 0
    row = db_session.execute(
        text("SELECT total_with_vat, (SELECT count(*) FROM order_items i WHERE i.shop_id = o.shop_id "
             "AND i.order_code = o.code) FROM orders o WHERE shop_id = :s AND code = :c"),
        {"s": shop.id, "c": doc["code"]},
    ).one()
    assert row == (Decimal("1.00"), len(newer["items"]))
