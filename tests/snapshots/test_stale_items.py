"""Re-loading edited orders removes exactly the items they lost, and keeps every other item,
and the DELETE that does it reads only the edited orders' partitions and hashes the staged
items once (it used to scan the staging table per item, or merge-join all of the shop's
items: ~40 s per batch at 8 M items)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from activities.snapshots.ingest.loader import stale_children_delete
from activities.snapshots.ingest.tables import ORDER_ITEMS
from db.engine import raw_connection
from db.partitions import Quarter, partition_name
from infra.sandbox.generator import ShopSpec, iter_records
from tests.snapshots.test_ingest import _load_file
from tests.support import MakeShop

EDITED = "2030-01-01T10:00:00+0100"  # a change time after every generated one


def _items_per_order(db: Session, shop_id: int) -> dict[str, list[int]]:
    rows = db.execute(
        text("SELECT order_code, item_id FROM order_items WHERE shop_id = :s ORDER BY order_code, item_id"),
        {"s": shop_id},
    ).all()
    out: dict[str, list[int]] = {}
    for code, item_id in rows:
        out.setdefault(code, []).append(item_id)
    return out


def _write(path: Path, docs: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(d) + b"\n" for d in docs))
    return path


async def test_edited_orders_lose_exactly_their_dropped_items(
    tmp_path: Path, db_session: Session, make_shop: MakeShop
) -> None:
    shop = make_shop()
    spec = ShopSpec(eshop_id=shop.eshop_id, seed=21, orders=400, mean_items=2.5, products=60, customers=80)
    docs = list(iter_records(spec, "orders"))
    await _load_file(_write(tmp_path / "all.jsonl", docs), tmp_path / "all.work", shop.id, "orders")
    before = _items_per_order(db_session, shop.id)
    assert sum(map(len, before.values())) == sum(len(d["items"]) for d in docs)

    many = [d for d in docs if len(d["items"]) >= 3]
    lose_one, lose_all, gain_one, untouched = many[0], many[5], many[10], many[15]
    extra = dict(gain_one["items"][0], itemId=987654321)
    edited = [
        dict(lose_one, items=lose_one["items"][1:], changeTime=EDITED),
        dict(lose_all, items=[], changeTime=EDITED),
        dict(gain_one, items=[*gain_one["items"], extra], changeTime=EDITED),
        untouched,  # unchanged: the upsert writes nothing for it, so its items are not probed
    ]
    _, results = await _load_file(_write(tmp_path / "edit.jsonl", edited), tmp_path / "edit.work", shop.id, "orders")
    assert sum(r.upserted for r in results) == 3 + 1  # three orders, the gained item

    db_session.expire_all()
    after = _items_per_order(db_session, shop.id)
    expected = dict(before)
    expected[lose_one["code"]] = sorted(int(i["itemId"]) for i in lose_one["items"][1:])
    del expected[lose_all["code"]]
    expected[gain_one["code"]] = sorted([*before[gain_one["code"]], 987654321])
    assert after == expected  # every other order keeps every item
    lost = len(before[lose_one["code"]]) - len(expected[lose_one["code"]]) + len(before[lose_all["code"]])
    assert sum(map(len, after.values())) == sum(map(len, before.values())) - lost + 1


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    out = [plan]
    for child in plan.get("Plans", []):
        out += _nodes(child)
    return out


async def test_the_stale_items_delete_reads_only_the_orders_partitions_and_the_stage_once(
    tmp_path: Path, db_session: Session, make_shop: MakeShop
) -> None:
    shop = make_shop()
    spec = ShopSpec(eshop_id=shop.eshop_id, seed=22, orders=600, mean_items=2.5, products=60, customers=80)
    docs = list(iter_records(spec, "orders"))  # two years of orders: eight quarters
    await _load_file(_write(tmp_path / "all.jsonl", docs), tmp_path / "all.work", shop.id, "orders")
    batch = [d for d in docs if d["items"]][200:260]  # consecutive orders, as a batch has them
    parents = [
        (shop.id, d["code"], datetime.strptime(d["creationTime"], "%Y-%m-%dT%H:%M:%S%z")) for d in batch
    ]
    kept = [(d["code"], int(i["itemId"]), d["creationTime"]) for d in batch for i in d["items"][1:]]
    conn = await raw_connection()
    try:
        async with conn.transaction(force_rollback=True):
            await conn.execute(ORDER_ITEMS.create_stage_sql())
            await conn.execute(
                f"INSERT INTO {ORDER_ITEMS.stage} (shop_id, order_code, item_id, created_at, item_type, name, "
                "amount, price_with_vat) SELECT %s, c, i, t, 'product', 'x', 1, 1 "
                "FROM unnest(%s::text[], %s::bigint[], %s::timestamptz[]) AS k(c, i, t)",
                (shop.id, [k[0] for k in kept], [k[1] for k in kept], [k[2] for k in kept]),
            )
            sql, params = stale_children_delete(ORDER_ITEMS, shop.id, parents)
            cur = await conn.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)  # type: ignore[operator]
            plan = (await cur.fetchone())[0][0]["Plan"]  # type: ignore[index]
            cur = await conn.execute(
                "SELECT count(*) FROM order_items WHERE shop_id = %s AND order_code = ANY(%s)",
                (shop.id, [d["code"] for d in batch]),
            )
            left = (await cur.fetchone())[0]  # type: ignore[index]
    finally:
        await conn.close()
    assert left == len(kept)  # exactly the first item of each order went
    scanned = Counter(
        n["Relation Name"] for n in _nodes(plan) if n.get("Relation Name", "").startswith("order_items")
    )
    quarters = {partition_name("order_items", Quarter.of(p[2])) for p in parents}
    assert set(scanned) - {"order_items"} == quarters  # pruned when planned: no other partition
    stage = [n for n in _nodes(plan) if n.get("Relation Name") == ORDER_ITEMS.stage]
    assert len(stage) == 1 and stage[0]["Actual Loops"] == 1  # hashed once, not scanned per item
