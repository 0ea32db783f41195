"""Send one e-mail the API queued in `outgoing_mails` (a purchase order to its supplier).

Idempotent: a mail already sent (or refused) is not sent again when the activity is retried.
When a purchase order went out, the order records where and when (`emailed_to`, `emailed_at`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.notifications import mailer
from db.engine import session_scope
from db.metering import BudgetExceeded
from db.models import OutgoingMail, OutgoingMailAttachment, PurchaseOrder
from workflows.notifications import MailRequest, MailResult


async def _finish(mail_id: int, status: str, error: str | None = None) -> None:
    async with session_scope() as session:
        await session.execute(
            update(OutgoingMail)
            .where(OutgoingMail.id == mail_id)
            .values(status=status, error=error, sent_at=datetime.now(UTC) if status == "sent" else None)
        )


@activity.defn
async def send_outgoing_mail(req: MailRequest) -> MailResult:
    async with session_scope() as session:
        mail = await session.get(OutgoingMail, req.mail_id)
        if mail is None:
            raise ApplicationError(f"no queued e-mail {req.mail_id}", non_retryable=True)
        if mail.status != "pending":
            return MailResult(status=mail.status)
        files = (
            await session.execute(
                select(OutgoingMailAttachment)
                .where(OutgoingMailAttachment.mail_id == mail.id)
                .order_by(OutgoingMailAttachment.id)
            )
        ).scalars()
        message = mailer.Mail(
            to=list(mail.to_addrs), subject=mail.subject, text=mail.text_body, html=mail.html_body,
            attachments=[mailer.Attachment(f.filename, f.content_type, f.content) for f in files],
        )
        shop_id, purpose, ref_id = mail.shop_id, mail.purpose, mail.ref_id
    try:
        await mailer.send(message, shop_id=shop_id)
    except (mailer.MailOff, BudgetExceeded) as exc:
        status = "refused" if isinstance(exc, BudgetExceeded) else "failed"
        await _finish(req.mail_id, status, str(exc))
        return MailResult(status=status)
    await _finish(req.mail_id, "sent")
    if purpose == "purchase_order" and ref_id is not None:
        async with session_scope() as session:
            await session.execute(
                update(PurchaseOrder)
                .where(PurchaseOrder.id == ref_id, PurchaseOrder.shop_id == shop_id)
                .values(emailed_at=datetime.now(UTC), emailed_to=", ".join(message.to)[:320])
            )
    return MailResult(status="sent")


ACTIVITIES = [send_outgoing_mail]
