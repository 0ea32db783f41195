"""Raise a notification (merchant- or ops-facing) from any layer that has a session.

Every notification is written in English and in Czech: `notify` takes `title_cs` (and
`body_cs` whenever there is a body) and stores them in `data.title_cs` / `data.body_cs`, which
the notifications page shows to a Czech user. Raw technical text (an error as a tool reported
it) may stay as is inside the Czech sentence. `KINDS` lists every kind the code raises, so a
new producer is registered (and tested for Czech) in one place.

Beyond the in-app row, `notify` is the one door to every channel: a producer that passes `key`
has repeats of the same kind and key within NOTIFY_DEDUP_WINDOW_SECONDS counted on the first
row (`repeats`) instead of raised again; a new row is owed, by each user's preferences
(`db.notify_preferences`), to their e-mail or Slack webhook as `notification_deliveries` rows,
which the NotificationDeliveryWorkflow sends (and digests when they flood).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.config import get_settings
from db.models import Notification

# Every notification kind; a key ending in "." is a family (`integrity.<check>`).
KINDS: dict[str, str] = {
    "backup.failed": "a database backup gave up",
    "backup.verify_corrupt": "a backup does not restore",
    "backup.verify_failed": "a restored backup has other row counts",
    "channels.oversold": "a channel order came in with not enough stock left to reserve",
    "channels.sync_failed": "a sales channel sync stopped (bad keys, store down past the retries)",
    "integrity.": "an integrity check failed or could not run (one kind per check)",
    "inventory.sales_spike": "sales far above the forecast",
    "inventory.sales_drop": "sales far below the forecast",
    "inventory.jump": "stock rose more than restocks explain",
    "inventory.drop_without_sales": "stock vanished on a day without sales",
    "inventory.drop_beyond_sales": "stock fell more than the day's sales",
    "inventory.late_purchase_order": "a purchase order arrives after the stock runs out",
    "inventory.anomalies": "the anomalies beyond a run's notification limit, counted",
    "maintenance.verify_failed": "an archive or legacy migration changed the data",
    "monitoring.alert": "a monitoring check turned critical",
    "monitoring.resolved": "a critical monitoring check is ok again",
    "snapshot.rejects": "a snapshot finished with rejected lines",
    "snapshot.gave_up": "the sweep stopped retrying a failed snapshot",
    "usage.warning": "a shop used 80 % of a daily budget of metered calls",
    "usage.exhausted": "a shop used up a daily budget; further calls are refused",
    "report.ready": "the weekly sales report is ready",
    "outbound_webhooks.disabled": "a merchant's webhook endpoint was switched off after failed deliveries",
}


def known_kind(kind: str) -> bool:
    return kind in KINDS or any(k.endswith(".") and kind.startswith(k) for k in KINDS)


async def notify(
    session: AsyncSession,
    *,
    level: str,
    kind: str,
    title: str,
    title_cs: str,
    body: str | None = None,
    body_cs: str | None = None,
    shop_id: int | None = None,
    data: dict[str, Any] | None = None,
    key: str | None = None,
    at: datetime | None = None,
) -> Notification:
    """Store one notification and owe it to its recipients' channels; with `key`, a repeat
    within the window is counted on the earlier row instead. A missing Czech text is a
    programming error, not a fallback."""
    if level not in ("info", "warning", "critical"):
        raise ValueError(f"unknown notification level {level!r}")
    if not known_kind(kind):
        raise ValueError(f"notification kind {kind!r} is not registered in db.notify.KINDS")
    if not title_cs.strip() or (body is not None and not (body_cs or "").strip()):
        raise ValueError(f"notification {kind!r} lacks its Czech title or body")
    now = at or datetime.now(UTC)
    if key is not None:
        earlier = await _earlier(session, kind, key[:200], shop_id, now)
        if earlier is not None:
            earlier.repeats += 1
            earlier.last_at = now
            await session.flush()
            return earlier
    words = {"title_cs": title_cs[:300]} | ({"body_cs": body_cs} if body is not None else {})
    row = Notification(
        level=level, kind=kind, title=title[:300], body=body, shop_id=shop_id,
        data={**(data or {}), **words}, dedup_key=key[:200] if key else None,
    )
    if at is not None:  # an injected clock (tests, backfills); else the database's now()
        row.created_at = at
    session.add(row)
    await session.flush()
    from db.notify_preferences import owe_deliveries

    await owe_deliveries(session, row)
    return row


async def _earlier(
    session: AsyncSession, kind: str, key: str, shop_id: int | None, now: datetime
) -> Notification | None:
    """The row a repeat counts on; the advisory lock makes concurrent repeats count, not race."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 19))"),
        {"k": f"notify:{kind}:{shop_id}:{key}"},
    )
    window = timedelta(seconds=get_settings().notify_dedup_window_seconds)
    return (
        await session.execute(
            select(Notification)
            .where(
                Notification.kind == kind,
                Notification.dedup_key == key,
                Notification.shop_id.is_not_distinct_from(shop_id),
                func.coalesce(Notification.last_at, Notification.created_at) >= now - window,
            )
            .order_by(Notification.id.desc())
            .limit(1)
            .with_for_update()
        )
    ).scalar_one_or_none()


# ----------------------------------------------------------------------------- Czech words


def cs_number(value: float, digits: int = 1) -> str:
    """`1 234,5`: space (no-break) between thousands, decimal comma, no trailing zeros."""
    if math.isnan(value) or math.isinf(value):
        return str(value)
    text = f"{value:,.{digits}f}" if digits > 0 else f"{value:,.0f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", "-0.0"):
        text = "0"
    return text.replace(",", "\u00a0").replace(".", ",")


def cs_count(n: float, one: str, few: str, many: str) -> str:
    """`1 položka`, `3 položky`, `5 položek`, `2,5 kusu` (a fraction takes the genitive singular)."""
    if n != int(n):
        return f"{cs_number(n)} {_fraction(one, many)}"
    k = abs(int(n))
    word = one if k == 1 else few if 2 <= k <= 4 else many
    return f"{cs_number(n, 0)} {word}"


def _fraction(one: str, many: str) -> str:
    return {"kus": "kusu", "den": "dne", "řádek": "řádku"}.get(one, many)


def cs_day(day: date) -> str:
    """`20. 12. 2026`."""
    return f"{day.day}. {day.month}. {day.year}"


def cs_short_day(day: date) -> str:
    """`20. 12.`: a day this month or next, as Czech writes it."""
    return f"{day.day}. {day.month}."


SEVERITY_CS = {"low": "nízká", "medium": "střední", "high": "vysoká"}
