"""A Shoptet client for one shop, with its API token from the installation.

`ShopTokens` is the token source every activity uses: it reads the current API token
(encrypted in `installations`) and, when it is missing, near expiry, or rejected as expired,
asks the shop's ShopTokenWorkflow for a fresh one (`activities.tokens.ensure_fresh_token`),
so concurrent callers anywhere cost at most one of Shoptet's five token slots.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import select
from temporalio.exceptions import ApplicationError

from activities.shoptet.client import ShoptetClient
from activities.shoptet.errors import ShoptetError
from db.config import get_settings
from db.engine import session_scope
from db.models import Installation
from db.shared_pace import shop_pace
from workflows.tokens import is_fresh

# Callers treat a token as stale a minute before expiry; the token workflow hands out only
# tokens with at least two minutes left, so a token it returns is never stale to a caller.
CALLER_MARGIN_SECONDS = 60.0


class NotInstalled(RuntimeError):
    """The shop has no usable installation (uninstalled, suspended, or never installed)."""


def permanent(message: str) -> ApplicationError:
    """A failure Temporal does not retry (the retry policies name this type)."""
    return ApplicationError(message, type="ShoptetPermanentError", non_retryable=True)


def shoptet_failure(exc: ShoptetError | NotInstalled, doing: str) -> ApplicationError:
    """What an activity raises for a failed Shoptet call: transient errors are retried by
    Temporal, permanent ones stop the run. Always a new exception: `raise shoptet_failure(exc,
    …) from exc` must not make `exc` its own cause, or Temporal's failure converter recurses and
    the run's error reads "maximum recursion depth exceeded" instead of Shoptet's answer."""
    if isinstance(exc, NotInstalled):
        return permanent(f"{doing}: {exc}")
    if not exc.retryable:
        return permanent(f"{doing}: Shoptet answered {exc.status} {exc.error_code}: {exc.message}")
    return ApplicationError(f"{doing}: {exc}", type=type(exc).__name__)


class ShopTokens:
    def __init__(self, shop_id: int) -> None:
        self.shop_id = shop_id

    def __repr__(self) -> str:
        return f"ShopTokens(shop_id={self.shop_id})"

    async def get(self) -> str:
        async with session_scope() as session:
            inst = (
                await session.execute(select(Installation).where(Installation.shop_id == self.shop_id))
            ).scalar_one_or_none()
            if inst is None or inst.uninstalled_at is not None:
                raise NotInstalled(f"shop {self.shop_id} has no active installation")
            token, expires = inst.api_token, inst.api_token_expires_at
            issued = inst.api_token_refreshed_at or expires
        if token and expires and issued and is_fresh(
            issued.timestamp(), expires.timestamp(), time.time(), cap=CALLER_MARGIN_SECONDS
        ):
            return token
        return await self.refresh(token or "")

    async def refresh(self, stale: str) -> str:
        from activities.tokens import ensure_fresh_token

        return await ensure_fresh_token(self.shop_id, stale)


@asynccontextmanager
async def shop_client(shop_id: int, *, max_concurrency: int = 3) -> AsyncIterator[ShoptetClient]:
    """A client for one shop whose requests share the shop's pace with every other process."""
    client = ShoptetClient(
        get_settings().shoptet_api_url,
        ShopTokens(shop_id),
        max_concurrency=max_concurrency,
        shared=shop_pace(shop_id),
        shop_id=shop_id,
    )
    try:
        yield client
    finally:
        await client.aclose()
