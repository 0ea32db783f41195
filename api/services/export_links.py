"""Signed, expiring download links for exports: `…/api/exports/{id}/file?expires=<t>&sig=<hex>`.

The signature is HMAC-SHA256, keyed by a key derived from SESSION_SECRET, over the export's id
and the expiry (unix seconds); it is compared in constant time. A link works without a session
(a new tab, a download manager) until it expires (EXPORT_LINK_SECONDS after it was made; the UI
gets fresh ones with every list it polls) and never after the file itself expires.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from db.config import get_settings

PATH = "/api/exports/{export_id}/file"


def _now() -> datetime:
    return datetime.now(UTC)


# the links' clock; tests replace it to make and check links at a fixed time
clock: Callable[[], datetime] = _now


def _key() -> bytes:
    secret = get_settings().session_secret.get_secret_value().encode()
    return hmac.new(secret, b"shopops export download links", hashlib.sha256).digest()


def signature(export_id: uuid.UUID, expires: int) -> str:
    return hmac.new(_key(), f"{export_id}.{expires}".encode(), hashlib.sha256).hexdigest()


def signed_url(export_id: uuid.UUID, now: datetime) -> str:
    expires = int(now.timestamp()) + get_settings().export_link_seconds
    return f"{PATH.format(export_id=export_id)}?expires={expires}&sig={signature(export_id, expires)}"


def valid(export_id: uuid.UUID, expires: int, sig: str, now: datetime) -> bool:
    """The signature is ours for this export and expiry, and the expiry has not passed."""
    good = hmac.compare_digest(signature(export_id, expires).encode(), sig.encode("utf-8", "replace"))
    return good and now.timestamp() < expires
