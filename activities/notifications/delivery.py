"""Send the e-mail and Slack deliveries `db.notify` queued; digest floods.

Per user and channel: when the pending deliveries fit in what is left of the digest allowance
(NOTIFY_DIGEST_AFTER messages per NOTIFY_DIGEST_WINDOW_SECONDS, counting what was sent in the
window), each goes out on its own; otherwise all of them go out as one digest message. Each
delivery is marked as soon as its message is sent, so a retry never sends it twice. A channel
that is down leaves its deliveries pending for the next run; a refusal (no address, e-mail off,
budget spent, webhook 4xx) marks them failed with the reason.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select, update
from temporalio import activity

from activities.notifications import mailer, slack
from db.config import get_settings
from db.engine import session_scope
from db.metering import BudgetExceeded
from db.models import Notification, NotificationChannel, NotificationDelivery, User
from db.secrets import decrypt
from workflows.notifications import DeliveryRequest, DeliveryResult

DIGEST_LINES = 20  # titles a digest lists before "and N more"
LEVEL_MARK = {"info": "ℹ️", "warning": "⚠️", "critical": "🛑"}


def _title(n: Notification, lang: str) -> str:
    if lang == "cs":
        return str(n.data.get("title_cs") or n.title)
    return n.title


def _body(n: Notification, lang: str) -> str:
    text = (n.data.get("body_cs") if lang == "cs" else None) or n.body or ""
    return str(text)


def _single(n: Notification, lang: str) -> tuple[str, str]:
    repeats = f" (×{n.repeats})" if n.repeats > 1 else ""
    subject = f"[shopops] {_title(n, lang)}{repeats}"
    return subject, "\n\n".join(x for x in (_title(n, lang) + repeats, _body(n, lang)) if x)


def _digest(items: list[Notification], lang: str) -> tuple[str, str]:
    count = len(items)
    if lang == "cs":
        subject = f"[shopops] Přehled: {count} upozornění"
        more = "… a {} dalších"
    else:
        subject = f"[shopops] Digest: {count} notifications"
        more = "… and {} more"
    lines = [f"- {LEVEL_MARK.get(n.level, '')} {_title(n, lang)}" for n in items[:DIGEST_LINES]]
    if count > DIGEST_LINES:
        lines.append(more.format(count - DIGEST_LINES))
    return subject, "\n".join([subject.removeprefix("[shopops] "), "", *lines])


async def _mark(ids: list[int], status: str, at: datetime, error: str | None = None) -> None:
    async with session_scope() as session:
        await session.execute(
            update(NotificationDelivery)
            .where(NotificationDelivery.id.in_(ids))
            .values(status=status, sent_at=at if status in ("sent", "digested") else None,
                    error=error)
        )


async def _send(
    channel: str, user: User, address: str | None, subject: str, text: str,
    shop_id: int | None, at: datetime,
) -> None:
    if channel == "email":
        await mailer.send(
            mailer.Mail(to=[user.email], subject=subject, text=text), shop_id=shop_id, at=at
        )
    else:
        if not address:
            raise slack.SlackRejected("no Slack webhook is set in the user's preferences")
        await slack.post(address, text, shop_id=shop_id, at=at)


@activity.defn
async def deliver_notifications(req: DeliveryRequest) -> DeliveryResult:
    at = datetime.fromisoformat(req.at) if req.at else datetime.now(UTC)
    settings = get_settings()
    window = timedelta(seconds=settings.notify_digest_window_seconds)
    async with session_scope() as session:
        pending = (
            await session.execute(
                select(NotificationDelivery, Notification)
                .join(Notification, Notification.id == NotificationDelivery.notification_id)
                .where(NotificationDelivery.status == "pending")
                .order_by(NotificationDelivery.id)
            )
        ).all()
        groups: dict[tuple[int, str], list[tuple[int, Notification]]] = defaultdict(list)
        for delivery, notification in pending:
            groups[(delivery.user_id, delivery.channel)].append((delivery.id, notification))
        # messages sent in the window: each single delivery, and each digest once (its
        # deliveries share one sent_at)
        sent_rows = func.count().filter(NotificationDelivery.status == "sent")
        digests = func.count(func.distinct(NotificationDelivery.sent_at)).filter(
            NotificationDelivery.status == "digested"
        )
        recent = {
            (user_id, channel): int(n)
            for user_id, channel, n in (
                await session.execute(
                    select(
                        NotificationDelivery.user_id,
                        NotificationDelivery.channel,
                        sent_rows + digests,
                    )
                    .where(
                        NotificationDelivery.status.in_(("sent", "digested")),
                        NotificationDelivery.sent_at >= at - window,
                    )
                    .group_by(NotificationDelivery.user_id, NotificationDelivery.channel)
                )
            )
        }
        users = {
            u.id: u
            for u in (
                await session.execute(select(User).where(User.id.in_({k[0] for k in groups})))
            ).scalars()
        }
        hooks = {
            c.user_id: decrypt(c.slack_webhook_encrypted)
            for c in (
                await session.execute(
                    select(NotificationChannel).where(
                        NotificationChannel.user_id.in_({k[0] for k in groups}),
                        NotificationChannel.slack_webhook_encrypted.is_not(None),
                    )
                )
            ).scalars()
            if c.slack_webhook_encrypted
        }
        session.expunge_all()
    counts: dict[str, int] = defaultdict(int)
    for (user_id, channel), items in groups.items():
        user = users[user_id]
        lang = "cs" if user.locale.startswith("cs") else "en"
        room = max(0, settings.notify_digest_after - recent.get((user_id, channel), 0))
        batches: list[tuple[list[int], tuple[str, str], str, int | None]]
        if len(items) > room:
            shops = {n.shop_id for _, n in items}
            shop = shops.pop() if len(shops) == 1 else None
            digest = _digest([n for _, n in items], lang)
            batches = [([i for i, _ in items], digest, "digested", shop)]
        else:
            batches = [([i], _single(n, lang), "sent", n.shop_id) for i, n in items]
        for ids, (subject, text), status, shop_id in batches:
            try:
                await _send(channel, user, hooks.get(user_id), subject, text, shop_id, at)
            except (mailer.MailOff, BudgetExceeded, slack.SlackRejected) as exc:
                await _mark(ids, "failed", at, str(exc)[:500])
                counts["failed"] += len(ids)
                continue
            except (OSError, httpx.HTTPError) as exc:
                activity.logger.warning("delivery to user %s by %s waits: %s", user_id, channel, exc)
                counts["pending"] += len(ids)
                continue
            await _mark(ids, status, at)
            if status == "digested":
                counts["digests"] += 1
                counts["digested"] += len(ids)
            else:
                counts["sent"] += 1
    return DeliveryResult(**counts)


ACTIVITIES = [deliver_notifications]
