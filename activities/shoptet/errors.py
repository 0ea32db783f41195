"""Typed Shoptet errors parsed from the response envelope.

`retryable` tells a caller (a Temporal retry policy, our own retry loop) whether trying the
same request later can succeed: rate limits, locks, 5xx, maintenance and network failures
can; bad input, missing rights and unknown entities cannot.
"""

from __future__ import annotations

from typing import Any

import orjson

from activities.json_types import JsonValue
from activities.shoptet.redaction import redact


class ShoptetError(Exception):
    """Base of every error from the Shoptet API or OAuth server."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        error_code: str | None = None,
        instance: str | None = None,
        request_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.message = redact(message)
        self.status = status
        self.error_code = error_code
        self.instance = instance
        self.request_id = request_id
        self.method = method
        self.path = path
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.method} {self.path} → " if self.method else ""
        code = f" {self.error_code}" if self.error_code else ""
        rid = f" (requestId {self.request_id})" if self.request_id else ""
        return f"{where}{self.status}{code}: {self.message}{rid}"


class BadRequest(ShoptetError):
    """400: a parameter or item failed validation; retrying the same request is pointless."""


class Unauthorized(ShoptetError):
    """401: the access token was not accepted."""


class ExpiredToken(Unauthorized):
    """401 `expired-token`: mint a new API token and retry once."""

    retryable = True


class InvalidToken(Unauthorized):
    """401 `invalid-token` / `missing-access-token`: the token is unknown or absent."""


class Forbidden(ShoptetError):
    """403: the token lacks rights, a module is missing, or an async call lacks its webhook."""


class NoRights(Forbidden):
    """403 `invalid-token-no-rights`: the addon was not granted this endpoint."""


class MissingModule(Forbidden):
    """403 `missing-module`: an `include` or endpoint needs a module the shop has not enabled."""


class JobPollLimit(Forbidden):
    """403 `job-detail-try-counter-exceeded-limit`: stop polling, wait for `job:finished`."""


class NotFound(ShoptetError):
    """404: unknown endpoint or entity (`order-not-found`, `job-not-found`, expired result file)."""


class PageNotFound(NotFound):
    """404 `page-not-found`: the list shrank below the requested page."""


class Conflict(ShoptetError):
    """409: duplicates, exclusive webhook events, a batch job already running."""


class PayloadTooLarge(ShoptetError):
    """413: too many entities in one request; nothing was applied."""


class Unprocessable(ShoptetError):
    """422: the body does not match the schema (`invalid-request-data`, duplicate webhook)."""


class Locked(ShoptetError):
    """423: an identical write is still being processed; the lock lasts at most 5 s."""

    retryable = True


class RateLimited(ShoptetError):
    """429: bucket full (with `Retry-After`) or too many concurrent requests (without)."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class ServerError(ShoptetError):
    """5xx: Shoptet failed; usually transient."""

    retryable = True


class Maintenance(ServerError):
    """503 (`system-maintenance`): retry in minutes."""


class TransportError(ShoptetError):
    """No HTTP answer at all (connection refused, timeout, reset)."""

    retryable = True


class MalformedResponse(ShoptetError):
    """A 2xx answer whose body is not the documented JSON envelope."""

    retryable = True


_BY_STATUS: dict[int, type[ShoptetError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    422: Unprocessable,
    423: Locked,
    429: RateLimited,
    503: Maintenance,
}
_BY_CODE: dict[str, type[ShoptetError]] = {
    "expired-token": ExpiredToken,
    "invalid-token": InvalidToken,
    "missing-access-token": InvalidToken,
    "invalid-token-no-rights": NoRights,
    "missing-module": MissingModule,
    "job-detail-try-counter-exceeded-limit": JobPollLimit,
    "page-not-found": PageNotFound,
}


def first_error(body: bytes) -> dict[str, Any]:
    """The first entry of the envelope's `errors`, or {} when the body is not an envelope."""
    try:
        parsed: JsonValue = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        return {}
    errors = parsed.get("errors") if isinstance(parsed, dict) else None
    if isinstance(errors, list) and errors:
        first = errors[0]
        return first if isinstance(first, dict) else {}
    return {}


def error_from_response(
    status: int,
    body: bytes,
    *,
    request_id: str | None = None,
    method: str | None = None,
    path: str | None = None,
    retry_after: float | None = None,
) -> ShoptetError:
    """The typed error for a non-2xx Shoptet answer."""
    entry = first_error(body)
    code = entry.get("errorCode")
    message = entry.get("message") or (
        body[:200].decode("utf-8", "replace").strip() or f"HTTP {status}"
    )
    cls = (
        _BY_CODE.get(code or "")
        or _BY_STATUS.get(status)
        or (ServerError if status >= 500 else ShoptetError)
    )
    common: dict[str, Any] = {
        "status": status,
        "error_code": code,
        "instance": entry.get("instance"),
        "request_id": request_id,
        "method": method,
        "path": path,
    }
    if issubclass(cls, RateLimited):
        return cls(message, retry_after=retry_after, **common)
    return cls(message, **common)


class BudgetRefused(ShoptetError):
    """Not sent: the shop has used its daily budget of Shoptet calls (`db.metering`). Retrying
    today is pointless; the budget resets at midnight or when an admin raises it."""
