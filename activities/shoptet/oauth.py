"""Shoptet's OAuth server calls: install code → OAuth token, OAuth token → 30-minute API token.

Both endpoints live on the partner shop's domain (`partner_url`), not on api.myshoptet.com.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from activities.json_types import JsonValue
from activities.shoptet.errors import ServerError, ShoptetError, TransportError

TOKEN_PATH = "/action/ApiOAuthServer/token"
API_TOKEN_PATH = "/action/ApiOAuthServer/getAccessToken"


class OAuthError(ShoptetError):
    """The OAuth server refused (`{"error": ...}` body)."""


class InvalidGrant(OAuthError):
    """The install code is unknown, used, expired, or the redirect_uri does not match."""


class InvalidClient(OAuthError):
    """client_id/client_secret were not accepted."""


class MaximumTokensReached(OAuthError):
    """Five API tokens of this installation are still valid; reuse one or wait for expiry."""

    retryable = True


class AddonSuspended(OAuthError):
    """The merchant suspended the addon; no tokens until it is approved again."""


class AddonNotInstalled(OAuthError):
    """The addon was uninstalled from the shop."""


_ERRORS: dict[str, type[OAuthError]] = {
    "invalid_grant": InvalidGrant,
    "invalid_client": InvalidClient,
    "maximum_tokens_reached": MaximumTokensReached,
    "addon_suspended": AddonSuspended,
    "addon_not_installed": AddonNotInstalled,
}


@dataclass(frozen=True)
class OAuthGrant:
    access_token: str = field(repr=False)
    eshop_id: int
    eshop_url: str
    contact_email: str | None
    scope: str
    token_type: str


@dataclass(frozen=True)
class ApiToken:
    token: str = field(repr=False)
    expires_at: float  # epoch seconds by the local clock

    def fresh(self, margin: float = 60.0, now: float | None = None) -> bool:
        return (now if now is not None else time.time()) < self.expires_at - margin


async def _call(
    http: httpx.AsyncClient, method: str, url: str, path: str, **kwargs: Any
) -> dict[str, Any]:
    try:
        response = await http.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        raise TransportError(f"{type(exc).__name__}: {exc}", method=method, path=path) from exc
    try:
        body: JsonValue = orjson.loads(response.content) if response.content else {}
    except orjson.JSONDecodeError:
        body = {}
    if response.is_success and isinstance(body, dict) and "error" not in body:
        return body
    error = body.get("error") if isinstance(body, dict) else None
    description = (
        (body.get("error_description") if isinstance(body, dict) else None)
        or error
        or f"HTTP {response.status_code}"
    )
    common: dict[str, Any] = {
        "status": response.status_code,
        "error_code": error,
        "method": method,
        "path": path,
    }
    if error in _ERRORS:
        raise _ERRORS[error](str(description), **common)
    if response.status_code >= 500:
        raise ServerError(str(description), **common)
    raise OAuthError(str(description), **common)


async def exchange_code(
    http: httpx.AsyncClient,
    partner_url: str,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
) -> OAuthGrant:
    """Redeem the install `code` for the installation's OAuth token (do it inside the install request)."""
    body = await _call(
        http,
        "POST",
        partner_url.rstrip("/") + TOKEN_PATH,
        TOKEN_PATH,
        json={
            "client_id": client_id,
            "client_secret": client_secret,
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": redirect_uri,
            "scope": "api",
        },
    )
    try:
        return OAuthGrant(
            access_token=body["access_token"],
            eshop_id=int(body["eshopId"]),
            eshop_url=body.get("eshopUrl") or "",
            contact_email=body.get("contactEmail"),
            scope=body.get("scope") or "api",
            token_type=body.get("token_type") or "Bearer",
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise OAuthError(f"token response lacks {exc}", path=TOKEN_PATH) from None


async def get_api_token(http: httpx.AsyncClient, partner_url: str, oauth_token: str) -> ApiToken:
    """Mint a new API access token (each call uses one of the installation's 5 slots for 30 min)."""
    requested_at = time.time()
    body = await _call(
        http,
        "GET",
        partner_url.rstrip("/") + API_TOKEN_PATH,
        API_TOKEN_PATH,
        headers={"Authorization": f"Bearer {oauth_token}"},
    )
    try:
        return ApiToken(
            token=body["access_token"],
            expires_at=requested_at + float(body.get("expires_in") or 1800),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise OAuthError(f"getAccessToken response lacks {exc}", path=API_TOKEN_PATH) from None
