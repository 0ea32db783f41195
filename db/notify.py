"""Raise a notification (merchant- or ops-facing) from any layer that has a session.

Every notification is written in English and in Czech: `notify` takes `title_cs` (and
`body_cs` whenever there is a body) and stores them in `data.title_cs` / `data.body_cs`, which
the notifications page shows to a Czech user. Raw technical text (an error as a tool reported
it) may stay as is inside the Czech sentence. `KINDS` lists every kind the code raises, so a
new producer is registered (and tested for Czech) in one place.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Notification

# Every notification kind; a key ending in "." is a family (`integrity.<check>`).
KINDS: dict[str, str] = {
    "backup.failed": "a database backup gave up",
    "backup.verify_corrupt": "a backup does not restore",
    "backup.verify_failed": "a restored backup has other row counts",
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
) -> Notification:
    """Store one notification; a missing Czech text is a programming error, not a fallback."""
    if level not in ("info", "warning", "critical"):
        raise ValueError(f"unknown notification level {level!r}")
    if not known_kind(kind):
        raise ValueError(f"notification kind {kind!r} is not registered in db.notify.KINDS")
    if not title_cs.strip() or (body is not None and not (body_cs or "").strip()):
        raise ValueError(f"notification {kind!r} lacks its Czech title or body")
    words = {"title_cs": title_cs[:300]} | ({"body_cs": body_cs} if body is not None else {})
    row = Notification(
        level=level, kind=kind, title=title[:300], body=body, shop_id=shop_id,
        data={**(data or {}), **words},
    )
    session.add(row)
    await session.flush()
    return row


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
