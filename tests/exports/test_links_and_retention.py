"""Signed export links (HMAC, expiring, constant-time compare, 403 problem otherwise) and the
retention cleanup of sent e-mails, outbound deliveries, reports and expired export rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, LiteralString
from urllib.parse import parse_qs, urlsplit

import httpx
import psycopg
import pytest
from psycopg import sql

from api.services import export_links
from db.config import get_settings
from db.secrets import encrypt
from tests.support import TEST_NOW, assert_problem, login


@pytest.fixture
def fixed_clock() -> Iterator[None]:
    saved = export_links.clock
    export_links.clock = lambda: TEST_NOW
    yield
    export_links.clock = saved


def _done_export(pg: psycopg.Connection[Any], shop_id: int, *, expires_in: timedelta = timedelta(hours=24)) -> uuid.UUID:
    export_id = uuid.uuid4()
    folder = get_settings().export_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{export_id}.csv"
    path.write_text("code\nA1\n", encoding="utf-8")
    pg.execute(
        "INSERT INTO exports (id, shop_id, kind, format, status, rows_done, file_path, file_size, "
        "created_at, finished_at, expires_at) VALUES (%s, %s, 'orders', 'csv', 'done', 1, %s, 8, "
        "%s, %s, %s)",
        (export_id, shop_id, str(path), TEST_NOW, TEST_NOW, TEST_NOW + expires_in),
    )
    return export_id


async def test_a_signed_link_downloads_without_a_session_until_it_expires(
    api: httpx.AsyncClient, make_user: Any, make_shop: Any, pg: psycopg.Connection[Any], fixed_clock: None
) -> None:
    shop = make_shop("Signed links")
    export_id = _done_export(pg, shop.id)
    user, password = make_user(shops={shop.id: "manager"})
    await login(api, user.email, password)
    [listed] = [e for e in (await api.get(f"/api/shops/{shop.id}/exports")).json() if e["id"] == str(export_id)]
    url = export_links.signed_url(export_id, TEST_NOW)
    assert urlsplit(listed["download_url"]).path == urlsplit(url).path == f"/api/exports/{export_id}/file"

    async with httpx.AsyncClient(transport=api._transport, base_url=str(api.base_url)) as anonymous:
        ok = await anonymous.get(url)
        assert ok.status_code == 200 and ok.content == b"code\nA1\n"
        query = parse_qs(urlsplit(url).query)
        expires, sig = int(query["expires"][0]), query["sig"][0]
        base = f"/api/exports/{export_id}/file"
        # a flipped signature, another export's id, a later expiry: all 403 problems
        bad = sig[:-1] + ("0" if sig[-1] != "0" else "1")
        assert_problem(await anonymous.get(base, params={"expires": expires, "sig": bad}), 403)
        assert_problem(await anonymous.get(f"/api/exports/{uuid.uuid4()}/file", params={"expires": expires, "sig": sig}), 403)
        assert_problem(await anonymous.get(base, params={"expires": expires + 3600, "sig": sig}), 403)
        assert_problem(await anonymous.get(base, params={"expires": "soon", "sig": sig}), 422)
        # the same link once its time has passed
        export_links.clock = lambda: TEST_NOW + timedelta(seconds=get_settings().export_link_seconds + 1)
        assert_problem(await anonymous.get(url), 403)
        # a fresh link after the file itself expired: 410
        late = TEST_NOW + timedelta(days=2)
        export_links.clock = lambda: late
        assert_problem(await anonymous.get(export_links.signed_url(export_id, late)), 410)


async def test_retention_deletes_finished_mail_deliveries_reports_and_expired_exports_only(
    make_shop: Any, pg: psycopg.Connection[Any]
) -> None:
    from activities.safety.cleanup import clean_up_settled

    shop = make_shop("Retention")
    old, recent = TEST_NOW - timedelta(days=500), TEST_NOW - timedelta(days=1)
    for status, at in (("sent", old), ("failed", old), ("pending", old), ("sent", recent)):
        pg.execute(
            "INSERT INTO outgoing_mails (shop_id, purpose, to_addrs, subject, text_body, status, created_at) "
            "VALUES (%s, 'retention-test', '[\"a@example.com\"]', 's', 't', %s, %s)",
            (shop.id, status, at),
        )
    [(endpoint,)] = pg.execute(
        "INSERT INTO webhook_endpoints (shop_id, url, events, secret) "
        "VALUES (%s, 'https://example.com/h', ARRAY['ping'], %s) RETURNING id",
        (shop.id, encrypt("x")),  # encrypted as the app writes it (key rotation reads every row)
    ).fetchall()
    for status, at in (("delivered", old), ("gave_up", old), ("pending", old), ("delivered", recent)):
        pg.execute(
            "INSERT INTO webhook_deliveries (endpoint_id, shop_id, event, event_id, body, status, created_at) "
            "VALUES (%s, %s, 'ping', %s, '{}', %s, %s)",
            (endpoint, shop.id, uuid.uuid4().hex, status, at),
        )
    for start, at in (("2025-01-06", old), ("2026-11-23", recent)):
        pg.execute(
            "INSERT INTO reports (shop_id, kind, period_start, period_end, data, created_at) "
            "VALUES (%s, 'weekly_sales', %s, %s::date + 7, '{}', %s)", (shop.id, start, start, at),
        )
    for status, path, at in (("expired", None, old), ("done", "/x.csv", old), ("expired", None, recent)):
        pg.execute(
            "INSERT INTO exports (id, shop_id, kind, format, status, file_path, created_at) "
            "VALUES (%s, %s, 'orders', 'csv', %s, %s, %s)", (uuid.uuid4(), shop.id, status, path, at),
        )

    def left(table: str, columns: LiteralString) -> list[tuple[Any, ...]]:
        query = sql.SQL("SELECT {} FROM {} WHERE shop_id = %s ORDER BY 1, 2").format(
            sql.SQL(columns), sql.Identifier(table)
        )
        return pg.execute(query, (shop.id,)).fetchall()

    for kind in ("sent_mails", "webhook_deliveries", "reports", "export_rows"):
        result = await clean_up_settled(kind, TEST_NOW)
        assert result.deleted >= 1, kind
    assert [s for s, _ in left("outgoing_mails", "status, created_at")] == ["pending", "sent"]
    assert [s for s, _ in left("webhook_deliveries", "status, created_at")] == ["delivered", "pending"]
    assert [str(p) for p, _ in left("reports", "period_start, created_at")] == ["2026-11-23"]
    assert sorted(s for s, _ in left("exports", "status, created_at")) == ["done", "expired"]
