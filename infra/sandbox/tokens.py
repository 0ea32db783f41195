"""Shoptet's two-token scheme: install codes → OAuth token (per installation, unlimited) →
API tokens (`<eshopId>-a-<rand>`, 30 minutes, at most 5 live per OAuth token).
"""

from __future__ import annotations

import secrets
import string
import threading
from dataclasses import dataclass

from infra.sandbox.clock import SandboxClock
from infra.sandbox.envelope import ApiError
from infra.sandbox.knobs import Limits

_ALNUM = string.ascii_lowercase + string.digits


def random_token(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


class OAuthFailure(Exception):
    """An OAuth-server error, answered as `{"error": ..., "error_description": ...}`."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{status} {error}: {description}")
        self.status = status
        self.error = error
        self.description = description


@dataclass(frozen=True)
class InstallCode:
    eshop_id: int
    expires_at: float
    redirect_uri: str | None


@dataclass(frozen=True)
class ApiToken:
    token: str
    eshop_id: int
    oauth_token: str
    expires_at: float


class TokenAuthority:
    """Mints and checks codes and tokens against the sandbox clock; safe to call from tests' threads."""

    def __init__(self, clock: SandboxClock, limits: Limits) -> None:
        self.clock = clock
        self.limits = limits
        self._lock = threading.RLock()
        self.codes: dict[str, InstallCode] = {}
        self.oauth_tokens: dict[str, int] = {}  # OAuth token -> eshop id
        self.api_tokens: dict[str, ApiToken] = {}

    def mint_code(self, eshop_id: int, redirect_uri: str | None = None) -> str:
        code = random_token(255)
        with self._lock:
            self.codes[code] = InstallCode(
                eshop_id, self.clock.now() + self.limits.code_ttl, redirect_uri
            )
        return code

    def redeem_code(self, code: str, redirect_uri: str | None) -> int:
        """Consume a code (single use) and return its shop; raises OAuthFailure."""
        with self._lock:
            grant = self.codes.pop(code, None)
        if grant is None:
            raise OAuthFailure(400, "invalid_grant", "The code is unknown or was already used.")
        if grant.expires_at < self.clock.now():
            raise OAuthFailure(
                400, "invalid_grant", "The code has expired; codes are valid only briefly."
            )
        if grant.redirect_uri is not None and redirect_uri != grant.redirect_uri:
            raise OAuthFailure(
                400,
                "invalid_grant",
                "redirect_uri does not match the addon's install URL the code was sent to.",
            )
        return grant.eshop_id

    def issue_oauth_token(self, eshop_id: int) -> str:
        """A new installation token; a reinstall revokes the previous one and its API tokens."""
        token = random_token(255)
        with self._lock:
            for old in [t for t, shop in self.oauth_tokens.items() if shop == eshop_id]:
                del self.oauth_tokens[old]
                for api in [a for a, rec in self.api_tokens.items() if rec.oauth_token == old]:
                    del self.api_tokens[api]
            self.oauth_tokens[token] = eshop_id
        return token

    def shop_of_oauth_token(self, oauth_token: str) -> int | None:
        return self.oauth_tokens.get(oauth_token)

    def live_api_tokens(self, oauth_token: str) -> int:
        now = self.clock.now()
        return sum(
            1
            for rec in self.api_tokens.values()
            if rec.oauth_token == oauth_token and rec.expires_at > now
        )

    def issue_api_token(self, oauth_token: str) -> ApiToken:
        now = self.clock.now()
        with self._lock:
            eshop_id = self.oauth_tokens.get(oauth_token)
            if eshop_id is None:
                raise OAuthFailure(401, "invalid_token", "The OAuth access token is not valid.")
            if self.live_api_tokens(oauth_token) >= self.limits.max_api_tokens:
                raise OAuthFailure(
                    429,
                    "maximum_tokens_reached",
                    f"At most {self.limits.max_api_tokens} API access tokens may be valid at once; "
                    "reuse the token you have until it expires.",
                )
            self._prune(now)
            token = f"{eshop_id}-a-{random_token(32)}"
            record = ApiToken(token, eshop_id, oauth_token, now + self.limits.api_token_ttl)
            self.api_tokens[token] = record
        return record

    def check(self, token: str | None) -> ApiToken:
        """The record behind a `Shoptet-Access-Token` header, or the 401 Shoptet answers."""
        if not token:
            raise ApiError(
                401,
                "missing-access-token",
                "Missing access token. Please add `Shoptet-Access-Token` header to your request.",
            )
        record = self.api_tokens.get(token)
        if record is None:
            raise ApiError(401, "invalid-token", "Invalid access token.")
        if record.expires_at <= self.clock.now():
            raise ApiError(
                401, "expired-token", "Token is expired. Please obtain a new access token."
            )
        return record

    def _prune(self, now: float) -> None:
        """Forget tokens expired for a day (kept that long so they answer `expired-token`)."""
        for token in [t for t, rec in self.api_tokens.items() if rec.expires_at < now - 86400]:
            del self.api_tokens[token]

    def clear(self) -> None:
        with self._lock:
            self.codes.clear()
            self.oauth_tokens.clear()
            self.api_tokens.clear()
