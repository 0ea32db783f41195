"""The mailer sends text + HTML + attachments over SMTP, metered; a purchase order goes to its
supplier's address with its PDF attached, through the outbox workflow."""

from __future__ import annotations

import io

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import text
from sqlalchemy.orm import Session

from activities.notifications import mailer
from db import metering
from db.engine import session_scope
from tests.outbound import local_smtp
from tests.support import MakeShop, MakeUser, app_env, assert_problem, login
from workflows.notifications import MailResult


async def test_mail_carries_text_html_and_attachments(make_shop: MakeShop) -> None:
    shop = make_shop()
    with local_smtp() as box:
        await mailer.send(
            mailer.Mail(
                to=["owner@example.com"], subject="Žluťoučký report", text="plain words",
                html="<p>html words</p>",
                attachments=[mailer.Attachment("a.pdf", "application/pdf", b"%PDF-1.4 test")],
            ),
            shop_id=shop.id,
        )
    [(rcpts, message)] = box.received
    assert rcpts == ["owner@example.com"] and message["Subject"] == "Žluťoučký report"
    assert message["From"] == "shopops <shopops@example.com>"
    body = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert body is not None and body.get_content().strip() == "plain words"
    assert html is not None and "html words" in html.get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "a.pdf" and attachment.get_content() == b"%PDF-1.4 test"
    used = await metering.live_counters(shop.id, metering.usage_day())
    assert used[metering.EMAILS] == (1, 0)


async def test_mail_is_off_without_smtp_host() -> None:
    with app_env(SMTP_HOST=""), pytest.raises(mailer.MailOff):
        await mailer.send(mailer.Mail(to=["x@example.com"], subject="s", text="t"), shop_id=None)


async def test_purchase_order_is_emailed_to_its_supplier(
    api: httpx.AsyncClient, make_shop: MakeShop, make_user: MakeUser, db_session: Session,
    worker: object,
) -> None:
    shop = make_shop(name="Triko e-shop")
    supplier_id = db_session.execute(
        text("INSERT INTO suppliers (shop_id, name, email) VALUES (:s, 'Textil a.s.', "
             "'orders@textil.example') RETURNING id"),
        {"s": shop.id},
    ).scalar_one()
    order_id = db_session.execute(
        text("INSERT INTO purchase_orders (shop_id, supplier_id) VALUES (:s, :sup) RETURNING id"),
        {"s": shop.id, "sup": supplier_id},
    ).scalar_one()
    db_session.execute(
        text("INSERT INTO purchase_order_lines (purchase_order_id, shop_id, variant_code, "
             "quantity, unit_price) VALUES (:o, :s, 'TRIKO-M', 12, 95.5)"),
        {"o": order_id, "s": shop.id},
    )
    db_session.commit()
    user, password = make_user(shops={shop.id: "manager"})
    await login(api, user.email, password)
    url = f"/api/shops/{shop.id}/purchase-orders/{order_id}/email"

    with app_env(SMTP_HOST=""):
        assert_problem(await api.post(url), 409)  # e-mail off: said at once, nothing queued
    assert_problem(await api.post(url, json={"to": "not-an-address"}), 422)
    with local_smtp() as box:
        queued = await api.post(url, json={"lang": "en"})
        assert queued.status_code == 202, queued.text
        from infra.temporal_client import connect

        client = await connect()
        handle = client.get_workflow_handle(queued.json()["workflow_id"], result_type=MailResult)
        assert (await handle.result()).status == "sent"
        from tests.notifications.harness import record_history

        await record_history(handle, "outgoing_mail")
    [(rcpts, message)] = box.received
    assert rcpts == ["orders@textil.example"]
    assert message["Subject"] == f"Purchase order {order_id} from Triko e-shop"
    attachments = {a.get_filename(): a for a in message.iter_attachments()}
    assert set(attachments) == {f"purchase-order-{order_id}.pdf", f"purchase-order-{order_id}.csv"}
    pdf = PdfReader(io.BytesIO(attachments[f"purchase-order-{order_id}.pdf"].get_content()))
    words = "".join(page.extract_text() for page in pdf.pages)
    assert "Purchase order" in words and "TRIKO-M" in words and "Textil a.s." in words
    order = (await api.get(f"/api/shops/{shop.id}/purchase-orders/{order_id}")).json()
    assert order["emailed_to"] == "orders@textil.example" and order["emailed_at"]
    async with session_scope() as session:
        status = await session.scalar(
            text("SELECT status FROM outgoing_mails WHERE ref_id = :o"), {"o": order_id}
        )
    assert status == "sent"
