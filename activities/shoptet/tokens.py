"""Where the client gets its API access token from.

`TokenSource` is what `ShoptetClient` needs: `get()` the current token and `refresh(stale)`
after a 401 `expired-token`. `OAuthTokenSource` is the in-process implementation: it caches
the token until a minute before expiry and lets only one refresh run at a time, and only if
the token that failed is still the current one, so concurrent 401s cost one of the five
token slots, not five.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

import httpx

from activities.shoptet.errors import ExpiredToken
from activities.shoptet.oauth import ApiToken, get_api_token


class TokenSource(Protocol):
    async def get(self) -> str: ...

    async def refresh(self, stale: str) -> str: ...


class StaticToken:
    """A fixed token (scripts, tests); it cannot be refreshed."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __repr__(self) -> str:
        return "StaticToken(***)"

    async def get(self) -> str:
        return self._token

    async def refresh(self, stale: str) -> str:
        raise ExpiredToken("the static API token expired and cannot be refreshed; supply a new one")


class OAuthTokenSource:
    def __init__(
        self,
        http: httpx.AsyncClient,
        partner_url: str,
        oauth_token: str,
        *,
        margin: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = http
        self._partner_url = partner_url
        self._oauth_token = oauth_token
        self._margin = margin
        self._clock = clock
        self._current: ApiToken | None = None
        self._lock = asyncio.Lock()
        self.minted = 0

    def __repr__(self) -> str:
        return f"OAuthTokenSource({self._partner_url!r}, oauth_token=***)"

    async def _mint(self) -> str:
        self._current = await get_api_token(self._http, self._partner_url, self._oauth_token)
        self.minted += 1
        return self._current.token

    async def get(self) -> str:
        current = self._current
        if current is not None and current.fresh(self._margin, self._clock()):
            return current.token
        async with self._lock:
            current = self._current
            if current is not None and current.fresh(self._margin, self._clock()):
                return current.token
            return await self._mint()

    async def refresh(self, stale: str) -> str:
        async with self._lock:
            if self._current is not None and self._current.token != stale:
                return self._current.token
            return await self._mint()
