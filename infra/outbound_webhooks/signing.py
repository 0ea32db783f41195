"""How a delivery is signed, and how a receiver checks it.

`X-Shopops-Signature: t=<unix seconds>,v1=<hex>` where hex is HMAC-SHA256 with the endpoint's
secret over `<t>.` followed by the exact request body. A receiver recomputes it, compares in
constant time, and refuses a `t` older than a few minutes (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

HEADER = "X-Shopops-Signature"
TOLERANCE_S = 300


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return mac.hexdigest()


def header_value(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = TOLERANCE_S) -> bool:
    """True when `header` signs `body` with `secret` and its time is within `tolerance` of `now`."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(parts.get("v1", ""), signature(secret, timestamp, body))
