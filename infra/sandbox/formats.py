"""Shoptet's wire formats: Prague-local times with `+hhmm` offsets, string decimals, HTTP dates.

Shoptet renders every datetime in the shop's zone without a colon in the offset and every
money value as a string with two decimals; the sandbox keeps integers (epoch seconds, cents,
thousandths) internally and formats only at the edge, so sums stay exact.
"""

from __future__ import annotations

import os
import time
from datetime import date, datetime, timedelta
from email.utils import formatdate
from uuid import UUID
from zoneinfo import ZoneInfo

PRAGUE = ZoneInfo("Europe/Prague")


def shoptet_time(ts: float) -> str:
    """`2024-03-01T10:15:00+0100`: the only datetime form Shoptet's schemas allow."""
    return datetime.fromtimestamp(int(ts), PRAGUE).strftime("%Y-%m-%dT%H:%M:%S%z")


def shoptet_date(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), PRAGUE).strftime("%Y-%m-%d")


def parse_shoptet_time(value: str) -> float:
    """Parse a filter datetime as Shoptet accepts it (`+0100`, `+01:00`, or a bare date in Prague).

    A `+` that was not URL-encoded arrives as a space, so a space before the offset is
    read as `+`. Raises ValueError with the offending value.
    """
    text = value.strip()
    if len(text) > 19 and text[19] == " ":
        text = text[:19] + "+" + text[20:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(
            f"{value!r} is not an ISO 8601 datetime like 2024-01-31T10:00:00+0100"
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=PRAGUE)
    return parsed.timestamp()


def local_midnight(day: date) -> float:
    """Epoch seconds of 00:00 in Prague on `day` (DST-aware)."""
    return datetime(day.year, day.month, day.day, tzinfo=PRAGUE).timestamp()


def day_length(day: date) -> float:
    """Seconds in a Prague calendar day: 82 800, 86 400 or 90 000 around DST switches."""
    return local_midnight(day + timedelta(days=1)) - local_midnight(day)


def year_of(ts: float) -> int:
    return datetime.fromtimestamp(int(ts), PRAGUE).year


def money(cents: int) -> str:
    """Cents to Shoptet's price string, e.g. 12100 -> "121.00", -550 -> "-5.50"."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"


def amount(thousandths: int) -> str:
    """Thousandths to Shoptet's amount string, e.g. 2000 -> "2.000"."""
    sign = "-" if thousandths < 0 else ""
    whole, frac = divmod(abs(thousandths), 1000)
    return f"{sign}{whole}.{frac:03d}"


def http_date(ts: float) -> str:
    """RFC 9110 IMF-fixdate, the form Shoptet uses for `Retry-After`."""
    return formatdate(ts, usegmt=True)


def request_id() -> str:
    """A UUIDv7-shaped id like Shoptet's `metadata.requestId` (time-ordered, then random)."""
    millis = int(time.time() * 1000) & ((1 << 48) - 1)
    rand = int.from_bytes(os.urandom(10), "big")
    value = (
        (millis << 80)
        | (0x7 << 76)
        | ((rand >> 68) << 64)
        | (0b10 << 62)
        | (rand & ((1 << 62) - 1))
    )
    return str(UUID(int=value))
