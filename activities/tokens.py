"""The token domain's side effects, and `ensure_fresh_token`, the one door to a new API token.

`mint_api_token` and `read_token_meta` run inside ShopTokenWorkflow; they keep the token in
the database (encrypted) and give the workflow only its fingerprint and times.
`ensure_fresh_token` is what every other activity calls (through `ShopTokens.refresh`): an
update-with-start of the shop's token workflow, then a read of the stored token.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select
from temporalio import activity
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from activities.shoptet.oauth import (
    AddonNotInstalled,
    AddonSuspended,
    MaximumTokensReached,
    OAuthError,
    get_api_token,
)
from activities.shoptet_access import CALLER_MARGIN_SECONDS, NotInstalled
from db.config import get_settings
from db.engine import session_scope
from db.models import Installation, Shop
from infra.temporal_client import connect
from workflows.tokens import (
    CAP_REACHED,
    REVOKED,
    STOPPING,
    EnsureFresh,
    MintRequest,
    ShopTokenWorkflow,
    TokenMeta,
    TokenState,
    fingerprint,
    is_fresh,
    start_options,
    token_workflow_id,
)

log = logging.getLogger(__name__)

OAUTH_TIMEOUT = httpx.Timeout(20.0, connect=10.0)
INACTIVE = ("suspended", "uninstalled")
UPDATE_DEADLINE = 120.0  # seconds a caller waits for the token workflow


class TokenUnavailable(RuntimeError):
    """The token workflow did not produce a usable token (Temporal or Shoptet trouble)."""


def _meta(inst: Installation) -> TokenMeta | None:
    if not inst.api_token or inst.api_token_expires_at is None:
        return None
    issued = inst.api_token_refreshed_at or inst.api_token_expires_at
    return TokenMeta(fingerprint(inst.api_token), issued.timestamp(), inst.api_token_expires_at.timestamp())


async def _installation(session, shop_id: int) -> Installation | None:
    return (
        await session.execute(select(Installation).where(Installation.shop_id == shop_id))
    ).scalar_one_or_none()


@activity.defn
async def read_token_meta(shop_id: int) -> TokenMeta | None:
    async with session_scope() as session:
        inst = await _installation(session, shop_id)
        return _meta(inst) if inst is not None else None


def _revoked(message: str) -> ApplicationError:
    return ApplicationError(message, type=REVOKED, non_retryable=True)


@activity.defn
async def mint_api_token(req: MintRequest) -> TokenMeta:
    """Mint and store a new API token, unless the stored one is already newer than `stale`.

    The check makes a retry after a lost result harmless: the first attempt's token is found
    in the database and returned instead of spending another of the five slots.
    """
    async with session_scope() as session:
        inst = await _installation(session, req.shop_id)
        if inst is None or inst.uninstalled_at is not None:
            raise _revoked(f"shop {req.shop_id} has no active installation")
        stored = _meta(inst)
        now = time.time()
        if (
            stored is not None
            and stored.fingerprint != req.stale_fingerprint
            and is_fresh(stored.issued_at, stored.expires_at, now)
        ):
            return stored
        oauth_token = inst.oauth_token
    settings = get_settings()
    try:
        async with httpx.AsyncClient(timeout=OAUTH_TIMEOUT) as http:
            token = await get_api_token(http, settings.shoptet_partner_url, oauth_token)
    except MaximumTokensReached as exc:
        raise ApplicationError(str(exc), type=CAP_REACHED, non_retryable=True) from exc
    except (AddonSuspended, AddonNotInstalled) as exc:
        raise _revoked(f"shop {req.shop_id}: {exc}") from exc
    except OAuthError as exc:
        if exc.status in (401, 403):  # the OAuth token itself is no longer accepted
            raise _revoked(f"shop {req.shop_id}: OAuth token refused: {exc}") from exc
        raise
    issued = datetime.now(UTC)
    expires = datetime.fromtimestamp(token.expires_at, UTC)
    async with session_scope() as session:
        inst = await _installation(session, req.shop_id)
        if inst is None:
            raise _revoked(f"shop {req.shop_id} was uninstalled while its token was minted")
        inst.api_token = token.token
        inst.api_token_expires_at = expires
        inst.api_token_refreshed_at = issued
        inst.token_refresh_count = (inst.token_refresh_count or 0) + 1
    log.info("shop %s: new API token %s valid until %s", req.shop_id, fingerprint(token.token), expires)
    return TokenMeta(fingerprint(token.token), issued.timestamp(), token.expires_at, minted=True)


ACTIVITIES = [read_token_meta, mint_api_token]


async def _stored(shop_id: int) -> tuple[str | None, TokenMeta | None]:
    """The stored token and its metadata; NotInstalled for shops that get no tokens."""
    async with session_scope() as session:
        row = (
            await session.execute(
                select(Installation, Shop.status)
                .join(Shop, Shop.id == Installation.shop_id)
                .where(Installation.shop_id == shop_id)
            )
        ).first()
    if row is None:
        raise NotInstalled(f"shop {shop_id} has no installation; install the addon first")
    inst, status = row
    if inst.uninstalled_at is not None or status in INACTIVE:
        raise NotInstalled(f"shop {shop_id} is {status}; its API token is not refreshed")
    return inst.api_token, _meta(inst)


async def _newer_stored(shop_id: int, stale_fp: str | None) -> str | None:
    """A stored token other than the stale one with time left (someone refreshed already)."""
    token, meta = await _stored(shop_id)
    if token and meta is not None and meta.fingerprint != stale_fp and is_fresh(
        meta.issued_at, meta.expires_at, time.time(), cap=CALLER_MARGIN_SECONDS
    ):
        return token
    return None


# Concurrent callers in one process share one update: Temporal admits only a few in-flight
# updates per workflow (10 by default), so a hundred activities must not each send one.
_IN_FLIGHT: dict[tuple[int, int, str | None], asyncio.Future[str]] = {}


async def ensure_fresh_token(shop_id: int, stale: str) -> str:
    """A valid API token newer than `stale` ('' when the caller had none).

    Goes through the shop's ShopTokenWorkflow (update-with-start), so concurrent callers in
    any number of processes cause at most one getAccessToken call: within a process they
    share one update, across processes the workflow serialises the updates.
    """
    stale_fp = fingerprint(stale) if stale else None
    token = await _newer_stored(shop_id, stale_fp)
    if token:
        return token
    key = (id(asyncio.get_running_loop()), shop_id, stale_fp)
    flight = _IN_FLIGHT.get(key)
    if flight is None:
        flight = asyncio.ensure_future(_refresh_through_workflow(shop_id, stale_fp))
        _IN_FLIGHT[key] = flight
        flight.add_done_callback(lambda _: _IN_FLIGHT.pop(key, None))
    return await asyncio.shield(flight)


def _update_with_start(shop_id: int) -> WithStartWorkflowOperation[Any, Any]:
    return WithStartWorkflowOperation(
        ShopTokenWorkflow.run, TokenState(shop_id=shop_id), **start_options(shop_id)
    )


async def _ask_workflow(client: Client, shop_id: int, stale_fp: str | None) -> TokenMeta | None:
    """One update-with-start; None when it should be asked again shortly."""
    try:
        return await client.execute_update_with_start_workflow(
            ShopTokenWorkflow.ensure_fresh,
            EnsureFresh(stale_fp),
            start_workflow_operation=_update_with_start(shop_id),
        )
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        kind = cause.type if isinstance(cause, ApplicationError) else None
        if isinstance(cause, ApplicationError) and kind == REVOKED:
            raise NotInstalled(f"shop {shop_id}: {cause.message}") from exc
        if kind == STOPPING:  # the run is closing; the next update starts a new one
            return None
        raise TokenUnavailable(f"shop {shop_id}: token refresh failed: {cause or exc}") from exc
    except (RPCError, WorkflowUpdateRPCTimeoutOrCancelledError) as exc:
        # too many updates in flight (other processes), a continue-as-new, a server restart
        log.info("shop %s: token update not completed (%s); asking again", shop_id, exc)
        return None


async def _refresh_through_workflow(shop_id: int, stale_fp: str | None) -> str:
    client = await connect()
    deadline = time.monotonic() + UPDATE_DEADLINE
    delay = 0.05
    mismatches = 0
    while True:
        meta = await _ask_workflow(client, shop_id, stale_fp)
        if meta is None:
            if time.monotonic() > deadline:
                raise TokenUnavailable(
                    f"shop {shop_id}: the token workflow {token_workflow_id(shop_id)} did not "
                    f"answer within {UPDATE_DEADLINE:g} s; is a worker polling "
                    f"{start_options(shop_id)['task_queue']}?"
                )
            await asyncio.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 2.0)
            token = await _newer_stored(shop_id, stale_fp)  # someone else's refresh counts too
            if token:
                return token
            continue
        token, stored = await _stored(shop_id)
        if token and stored is not None:
            if stored.fingerprint == meta.fingerprint:
                return token
            if stored.fingerprint != stale_fp and is_fresh(
                stored.issued_at, stored.expires_at, time.time(), cap=CALLER_MARGIN_SECONDS
            ):
                return token  # an even newer token was stored meanwhile
        # The workflow's token is not what the database holds (a reinstall cleared it):
        # ask it to replace the one it knows.
        mismatches += 1
        if mismatches > 2:
            raise TokenUnavailable(
                f"shop {shop_id}: the token workflow keeps reporting token {meta.fingerprint}, "
                "which is not the stored one; see its history in the Temporal console"
            )
        stale_fp = meta.fingerprint
