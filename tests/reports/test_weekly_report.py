"""The weekly sales report of a seeded shop with known totals: made by the workflow, stored,
readable as HTML and PDF in both languages, e-mailed to the owners with the PDF attached, and
summarized by the (local fake) AI provider with its tokens metered."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
from pypdf import PdfReader
from sqlalchemy import text
from sqlalchemy.orm import Session

from db import metering
from infra.temporal_client import connect
from tests.notifications.harness import record_history
from tests.outbound import fake_ai, local_http, local_smtp
from tests.support import MakeShop, MakeUser, app_env, assert_problem, login
from workflows.queues import Queue
from workflows.reports import ReportRequest, ReportResult, WeeklyReportWorkflow

PRAGUE = ZoneInfo("Europe/Prague")
# The report's own clock, fixed whatever SHOPOPS_TEST_NOW says (its week and totals are seeded
# for it): Tuesday 1 December 2026 00:30 in Prague, so the last full week is 23–29 November.
REPORT_NOW = datetime(2026, 12, 1, 0, 30, tzinfo=PRAGUE)
ORDERS = [  # code, Prague time, total, cancelled, items (code, name, type, amount, line total)
    ("A1", (11, 23, 10, 0), "1000.00", False,
     [("TRIKO", "Triko Žluťoučký kůň", "product", 2, "800.00"),
      (None, "Doprava", "shipping", 1, "200.00")]),
    ("B2", (11, 25, 14, 0), "250.50", False, [("MIKINA", "Mikina", "product", 1, "250.50")]),
    ("C3", (11, 29, 23, 30), "99.50", False, [("TRIKO", "Triko Žluťoučký kůň", "product", 1, "99.50")]),
    ("D4", (11, 24, 9, 0), "500.00", True, [("MIKINA", "Mikina", "product", 2, "500.00")]),
    ("E5", (11, 30, 0, 30), "777.00", False, [("MIKINA", "Mikina", "product", 3, "777.00")]),
    ("F6", (11, 18, 12, 0), "400.00", False, [("TRIKO", "Triko Žluťoučký kůň", "product", 1, "400.00")]),
]


def _seed(db: Session, shop_id: int) -> None:
    for code, (month, day, hour, minute), total, cancelled, items in ORDERS:
        at = datetime(2026, month, day, hour, minute, tzinfo=PRAGUE).astimezone(UTC)
        db.execute(
            text("INSERT INTO orders (shop_id, code, created_at, total_with_vat, cancelled) "
                 "VALUES (:s, :c, :at, :t, :x)"),
            {"s": shop_id, "c": code, "at": at, "t": total, "x": cancelled},
        )
        for i, (item_code, name, kind, amount, line) in enumerate(items):
            db.execute(
                text("INSERT INTO order_items (shop_id, order_code, item_id, created_at, item_type,"
                     " code, name, amount, price_with_vat) VALUES (:s, :o, :i, :at, :k, :c, :n, :a, :p)"),
                {"s": shop_id, "o": code, "i": i + 1, "at": at, "k": kind, "c": item_code,
                 "n": name, "a": amount, "p": line},
            )
    db.commit()


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "".join(page.extract_text() for page in reader.pages).replace("\u00a0", " ")


async def test_weekly_report_end_to_end(
    api: httpx.AsyncClient, make_shop: MakeShop, make_user: MakeUser, db_session: Session,
    worker: object,
) -> None:
    shop = make_shop(name="Triko e-shop")
    _seed(db_session, shop.id)
    czech, password = make_user(shops={shop.id: "owner"})
    english, _ = make_user(shops={shop.id: "owner"})
    viewer, viewer_password = make_user(shops={shop.id: "viewer"})
    db_session.execute(text("UPDATE users SET locale = 'en' WHERE id = :u"), {"u": english.id})
    db_session.commit()

    client = await connect()
    with local_smtp() as box, local_http(fake_ai(tokens=(300, 80))) as ai, app_env(
        AI_BASE_URL=f"{ai.url}/v1"
    ):
        handle = await client.start_workflow(
            WeeklyReportWorkflow.run,
            ReportRequest(shop.id, as_of=REPORT_NOW.isoformat()),
            id=f"test:report:{shop.id}",
            task_queue=Queue.REPORTS.value,
        )
        result = await handle.result()
        await record_history(handle, "weekly_report")
    assert result.summarized and result.emailed == 2

    # the e-mails: one per owner, in their language, the PDF attached
    by_rcpt = {rcpts[0]: message for rcpts, message in box.received}
    assert set(by_rcpt) == {czech.email, english.email}
    assert by_rcpt[english.email]["Subject"] == "Weekly sales report: Triko e-shop (2026-11-23)"
    assert by_rcpt[czech.email]["Subject"] == "Týdenní přehled prodejů: Triko e-shop (23. 11. 2026)"
    for email, expected in ((english.email, "1,350.00 CZK"), (czech.email, "1 350,00 CZK")):
        [pdf] = [a for a in by_rcpt[email].iter_attachments()
                 if a.get_content_type() == "application/pdf"]
        assert pdf.get_filename() == "report-2026-11-23.pdf"
        assert expected in _pdf_text(pdf.get_content())
        html = by_rcpt[email].get_body(("html",))
        assert html is not None and "<svg" in html.get_content()

    # stored and readable by any member, in the reader's language
    await login(api, viewer.email, viewer_password)
    [brief] = (await api.get(f"/api/shops/{shop.id}/reports")).json()
    assert (brief["period_start"], brief["revenue"], brief["orders"], brief["emailed_to"]) == (
        "2026-11-23", "1350.00", 3, 2
    )
    report = (await api.get(f"/api/shops/{shop.id}/reports/{brief['id']}?lang=en")).json()
    data = report["data"]
    assert (data["revenue"], data["orders"], data["average_order_value"]) == ("1350.00", 3, "450.00")
    assert (data["previous_revenue"], data["previous_orders"]) == ("400.00", 1)
    assert [(p["code"], p["quantity"], p["revenue"]) for p in data["top_products"]] == [
        ("TRIKO", "3.000", "899.50"), ("MIKINA", "1.000", "250.50")
    ]
    assert data["channels"] == [{"channel": "shoptet", "orders": 3, "revenue": "1350.00"}]
    assert [d["revenue"] for d in data["daily"]] == [
        "1000.00", "0.00", "250.50", "0.00", "0.00", "0.00", "99.50"
    ]
    assert report["summary"] == "A good week."
    czech_view = (await api.get(f"/api/shops/{shop.id}/reports/{brief['id']}")).json()
    assert czech_view["summary"] == "Dobrý týden."  # the viewer's locale is Czech
    pdf = await api.get(f"/api/shops/{shop.id}/reports/{brief['id']}/pdf?lang=en")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    words = _pdf_text(pdf.content)
    for expected in ("Weekly sales report", "Revenue: 1,350.00 CZK", "Orders: 3",
                     "Average order value: 450.00 CZK", "Triko Žluťoučký kůň", "A good week."):
        assert expected in words, (expected, words[:400])
    html = await api.get(f"/api/shops/{shop.id}/reports/{brief['id']}/html?lang=cs")
    assert html.status_code == 200 and "Tržby" in html.text and "<svg" in html.text
    assert "script-src" not in html.headers["content-security-policy"]
    assert_problem(await api.get(f"/api/shops/{shop.id}/reports/{brief['id']}/pdf?lang=de"), 422)
    assert_problem(await api.get(f"/api/shops/{shop.id}/reports/999999"), 404)
    assert_problem(await api.post(f"/api/shops/{shop.id}/reports/generate"), 403)

    # the summary's tokens are on the shop's meter
    used = await metering.live_counters(shop.id, metering.usage_day())
    assert used[metering.AI_TOKENS] == (380, 0)
    assert used[metering.EMAILS] == (2, 0)

    # "generate now" for the same week replaces the stored report
    await login(api, czech.email, password)
    assert_problem(
        await api.post(f"/api/shops/{shop.id}/reports/generate", json={"week_start": "2026-11-24"}),
        422,
    )
    started = await api.post(
        f"/api/shops/{shop.id}/reports/generate", json={"week_start": "2026-11-23", "email": False}
    )
    assert started.status_code == 202, started.text
    again = client.get_workflow_handle(started.json()["workflow_id"], result_type=ReportResult)
    assert (await again.result()).report_id == brief["id"]
    assert len((await api.get(f"/api/shops/{shop.id}/reports")).json()) == 1

    scheduled = await api.post(f"/api/shops/{shop.id}/reports/schedule")
    assert scheduled.status_code == 204
    described = await client.get_schedule_handle(f"reports:weekly:{shop.id}").describe()
    spec = described.schedule.spec  # the server stores the cron as a calendar
    assert spec.time_zone_name == "Europe/Prague" and len(spec.calendars) == 1
    [calendar] = spec.calendars
    assert [(r.start, r.end) for r in calendar.day_of_week] == [(1, 1)]
    assert [(r.start, r.end) for r in calendar.hour] == [(6, 6)]
