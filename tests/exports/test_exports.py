"""Exports end to end: the API starts a workflow on the exports queue, the worker streams the
file, the UI's progress comes from the workflow's query, and the download is the shop's alone
until it expires and the cleanup deletes it."""

from __future__ import annotations

import csv
import io
import itertools
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg
import pytest

from tests.exports.conftest import HISTORIES, RECORD, drop_orders, seed_orders, wait_done
from tests.support import TEST_NOW, assert_problem, login


async def _client(api: httpx.AsyncClient, make_user: Any, shop_id: int, role: str = "manager") -> httpx.AsyncClient:
    user, password = make_user(shops={shop_id: role})
    await login(api, user.email, password)
    return api


@pytest.mark.slow
@pytest.mark.timeout(900)
async def test_a_million_items_export_to_csv_in_bounded_memory_with_the_exact_count(
    api: httpx.AsyncClient, make_user: Any, make_shop: Any, pg: psycopg.Connection[Any], worker: Any
) -> None:
    shop = make_shop("Milion položek")
    seed_orders(pg, shop.id, orders=250_000, items_per_order=4)
    try:
        await _client(api, make_user, shop.id)
        rss_before = psutil.Process().memory_info().rss / 2**20
        started = await api.post(f"/api/shops/{shop.id}/exports", json={"kind": "order_items", "format": "csv"})
        assert started.status_code == 202, started.text
        export_id = started.json()["id"]
        final, seen = await wait_done(api, f"/api/shops/{shop.id}/exports/{export_id}", timeout=800)

        assert final["status"] == "done", final
        assert final["rows_done"] == 1_000_000
        # progress came from the workflow's query while the file was being written
        running = [s for s in seen if s["status"] == "running"]
        assert running and all(s["rows_estimate"] for s in running)
        assert all(a["rows_done"] <= b["rows_done"] for a, b in itertools.pairwise(seen))

        [(path, peak)] = pg.execute(
            "SELECT file_path, peak_rss_mb FROM exports WHERE id = %s", (uuid.UUID(export_id),)
        ).fetchall()
        with Path(path).open(encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            count = sum(1 for _ in reader)
        assert header[:3] == ["order_code", "order_created_at", "item_id"]
        assert count == 1_000_000
        # the worker runs in this process: what writing a million rows added to it stays small
        assert peak - rss_before < 100, f"RSS grew from {rss_before:.0f} MB to {peak:.0f} MB"

        if RECORD:
            from infra.temporal_client import connect
            from workflows.exports import workflow_id

            history = await (await connect()).get_workflow_handle(workflow_id(export_id)).fetch_history()
            HISTORIES.mkdir(exist_ok=True)
            (HISTORIES / "export.json").write_text(history.to_json())
    finally:
        drop_orders(pg, shop.id)


async def test_xlsx_export_opens_with_the_filtered_rows(
    api: httpx.AsyncClient, make_user: Any, make_shop: Any, pg: psycopg.Connection[Any], worker: Any
) -> None:
    from openpyxl import load_workbook

    shop = make_shop("Excel shop")
    seed_orders(pg, shop.id, orders=300, items_per_order=0)
    await _client(api, make_user, shop.id, role="viewer")
    since = (TEST_NOW - timedelta(days=30)).isoformat()
    started = await api.post(
        f"/api/shops/{shop.id}/exports",
        json={"kind": "orders", "format": "xlsx", "filters": {"status_id": -2, "created_from": since}},
    )
    assert started.status_code == 202, started.text
    final, _ = await wait_done(api, f"/api/shops/{shop.id}/exports/{started.json()['id']}")
    assert final["status"] == "done" and final["downloadable"], final
    expected = {
        code
        for (code,) in pg.execute(
            "SELECT code FROM orders WHERE shop_id = %s AND status_id = -2 AND created_at >= %s",
            (shop.id, TEST_NOW - timedelta(days=30)),
        ).fetchall()
    }
    assert expected and final["rows_done"] == len(expected)

    download = await api.get(f"/api/shops/{shop.id}/exports/{final['id']}/download")
    assert download.status_code == 200
    assert "spreadsheetml" in download.headers["content-type"]
    sheet = load_workbook(io.BytesIO(download.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("code", "created_at")
    assert {r[0] for r in rows[1:]} == expected and len(rows) == len(expected) + 1
    names = {r[rows[0].index("billing_name")] for r in rows[1:]}
    assert all(str(n).startswith("Zákazník ") for n in names)


async def test_download_is_refused_to_another_shop_and_after_expiry_then_cleaned_up(
    api: httpx.AsyncClient, make_user: Any, make_shop: Any, pg: psycopg.Connection[Any], worker: Any
) -> None:
    from activities.safety.cleanup import clean_up

    shop, other = make_shop("Export owner"), make_shop("Someone else")
    seed_orders(pg, shop.id, orders=20, items_per_order=2)
    await _client(api, make_user, shop.id)
    started = await api.post(f"/api/shops/{shop.id}/exports", json={"kind": "orders", "format": "csv"})
    final, _ = await wait_done(api, f"/api/shops/{shop.id}/exports/{started.json()['id']}")
    url = f"/api/shops/{shop.id}/exports/{final['id']}/download"
    ok = await api.get(url)
    assert ok.status_code == 200 and ok.content.decode("utf-8-sig").count("\n") == 21

    # a member of another shop: neither through our shop's URL nor through their own
    outsider, password = make_user(shops={other.id: "owner"})
    async with httpx.AsyncClient(transport=api._transport, base_url=str(api.base_url)) as theirs:
        await login(theirs, outsider.email, password)
        assert_problem(await theirs.get(url), 404)
        assert_problem(await theirs.get(f"/api/shops/{other.id}/exports/{final['id']}/download"), 404)
        assert_problem(await theirs.get(f"/api/shops/{other.id}/exports/{final['id']}"), 404)

    # past its expiry: 410, and the retention workflow's activity deletes the file
    pg.execute("UPDATE exports SET expires_at = now() - interval '1 minute' WHERE id = %s", (uuid.UUID(final["id"]),))
    assert_problem(await api.get(url), 410)
    [(path,)] = pg.execute("SELECT file_path FROM exports WHERE id = %s", (uuid.UUID(final["id"]),)).fetchall()
    assert Path(path).exists()
    result = await clean_up("export_files")
    assert result.deleted >= 1
    assert not Path(path).exists()
    listed = (await api.get(f"/api/shops/{shop.id}/exports")).json()
    assert [e["status"] for e in listed if e["id"] == final["id"]] == ["expired"]


async def test_every_kind_exports_and_hostile_input_is_a_4xx(
    api: httpx.AsyncClient, make_user: Any, make_shop: Any, pg: psycopg.Connection[Any], worker: Any
) -> None:
    shop = make_shop("All kinds")
    seed_orders(pg, shop.id, orders=5, items_per_order=1)
    await _client(api, make_user, shop.id)
    base = f"/api/shops/{shop.id}/exports"
    kinds = ["orders", "order_items", "customers", "products", "purchase_orders",
             "customer_segments", "inventory_recommendations"]
    for kind in kinds:
        started = await api.post(base, json={"kind": kind, "format": "csv"})
        assert started.status_code == 202, started.text
        final, _ = await wait_done(api, f"{base}/{started.json()['id']}")
        assert final["status"] == "done", final
    assert_problem(await api.post(base, json={"kind": "users", "format": "csv"}), 422)
    assert_problem(await api.post(base, json={"kind": "orders", "format": "pdf"}), 422)
    assert_problem(await api.post(base, json={"kind": "orders", "filters": {"q": "x' OR 1=1; --", "created_from": "2026-02-01", "created_to": "2026-01-01"}}), 422)
    assert_problem(await api.get(f"{base}/not-a-uuid"), 422)
    assert_problem(await api.get(f"{base}/{uuid.uuid4()}/download"), 404)
    # a search term with SQL in it is a search term
    started = await api.post(base, json={"kind": "orders", "filters": {"q": "x' OR 1=1; --"}})
    final, _ = await wait_done(api, f"{base}/{started.json()['id']}")
    assert final["status"] == "done" and final["rows_done"] == 0
