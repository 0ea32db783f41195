"""A purchase order e-mailed to its supplier: the PDF and CSV queued as an e-mail, sent by a
workflow on the notifications queue (the API never talks SMTP itself)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from api.problems import Problem
from api.services.inventory import purchase_order_documents, purchase_orders
from db.config import get_settings
from db.models import OutgoingMail, OutgoingMailAttachment, Shop
from workflows import search_attributes
from workflows.notifications import MailRequest, OutgoingMailWorkflow
from workflows.queues import Queue

BODY = {
    "en": "Hello,\n\nplease find attached our purchase order no. {id} ({lines} lines).\n"
    "Please confirm the delivery date.\n\nKind regards,\n{shop}",
    "cs": "Dobrý den,\n\nv příloze posíláme objednávku č. {id} ({lines} položek).\n"
    "Prosíme o potvrzení termínu dodání.\n\nS pozdravem\n{shop}",
}
SUBJECT = {"en": "Purchase order {id} from {shop}", "cs": "Objednávka č. {id} od {shop}"}


class MailQueuedOut(BaseModel):
    mail_id: int
    to: list[str]
    workflow_id: str


async def email_order(
    session: AsyncSession, client: Client, shop: Shop, order_id: int, to: str | None, lang: str
) -> MailQueuedOut:
    """Queue the order's e-mail to `to` (default: the supplier's address) and start sending it."""
    if not get_settings().smtp_host:
        raise Problem(409, "E-mail is off", "This deployment sends no e-mail: set SMTP_HOST.")
    order: dict[str, Any] = await purchase_orders.get_order(session, shop.id, order_id)
    address = to or order.get("supplier_email")
    if not address:
        raise Problem(
            422, "No address", "to: the supplier has no e-mail address; give one or add it to "
            "the supplier",
        )
    if order["status"] == "cancelled":
        raise Problem(409, "Purchase order is cancelled", f"Order {order_id} was cancelled.")
    words = {"id": order_id, "shop": shop.name, "lines": len(order["lines"])}
    mail = OutgoingMail(
        shop_id=shop.id, purpose="purchase_order", ref_id=order_id, to_addrs=[address],
        subject=SUBJECT[lang].format(**words), text_body=BODY[lang].format(**words),
    )
    session.add(mail)
    await session.flush()
    session.add_all([
        OutgoingMailAttachment(
            mail_id=mail.id, filename=f"purchase-order-{order_id}.pdf",
            content_type="application/pdf",
            content=purchase_order_documents.order_pdf(order, shop.name, lang),
        ),
        OutgoingMailAttachment(
            mail_id=mail.id, filename=f"purchase-order-{order_id}.csv", content_type="text/csv",
            content=purchase_order_documents.order_csv(order).encode(),
        ),
    ])
    await session.commit()
    workflow_id = f"mail:{mail.id}"
    try:
        await client.start_workflow(
            OutgoingMailWorkflow.run, MailRequest(mail.id), id=workflow_id,
            task_queue=Queue.NOTIFICATIONS.value,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=search_attributes.for_run("mail", shop.id),
        )
    except RPCError as exc:
        raise Problem(503, "Could not send the e-mail", f"Temporal refused: {exc}") from exc
    return MailQueuedOut(mail_id=mail.id, to=[address], workflow_id=workflow_id)
