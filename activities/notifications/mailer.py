"""The one way the product sends e-mail: `send(Mail)` over SMTP, metered per shop.

Settings SMTP_HOST/PORT/USER/PASSWORD/STARTTLS/FROM; without SMTP_HOST e-mail is off and
`send` raises MailOff (callers record it, nothing is retried). The stdlib client runs in a
thread: a message is sent once per call, so an async client would buy nothing here. Every
message is charged to the shop's `emails` budget before it is sent (refused at 100 %).
"""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from db.config import Settings, get_settings
from db.metering import EMAILS, charge

SMTP_TIMEOUT_SECONDS = 30


class MailOff(RuntimeError):
    """SMTP_HOST is not set: this deployment sends no e-mail."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "application/pdf"
    content: bytes


@dataclass(frozen=True)
class Mail:
    to: list[str]
    subject: str
    text: str
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list[Attachment])


def enabled() -> bool:
    return bool(get_settings().smtp_host)


def build_message(mail: Mail, sender: str) -> EmailMessage:
    """Plain text first, the HTML as its alternative, attachments beside them."""
    message = EmailMessage()
    message["From"] = formataddr(("shopops", sender))
    message["To"] = ", ".join(mail.to)
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] or None)
    message.set_content(mail.text)
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html")
    for item in mail.attachments:
        main, _, sub = item.content_type.partition("/")
        message.add_attachment(item.content, maintype=main, subtype=sub, filename=item.filename)
    return message


def _deliver(message: EmailMessage, settings: Settings) -> None:
    assert settings.smtp_host is not None
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user and settings.smtp_password is not None:
            smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        smtp.send_message(message)


async def send(mail: Mail, *, shop_id: int | None, at: datetime | None = None) -> None:
    """Send one e-mail, charged to the shop (None: app-wide); BudgetExceeded when it is spent."""
    settings = get_settings()
    if not settings.smtp_host:
        raise MailOff("e-mail is off: set SMTP_HOST (and SMTP_FROM) to send e-mail")
    if not mail.to:
        raise ValueError(f"e-mail {mail.subject!r} has no recipient")
    await charge(shop_id, EMAILS, 1, at=at)
    await asyncio.to_thread(_deliver, build_message(mail, settings.smtp_from), settings)
