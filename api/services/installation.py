"""Installing the addon (Shoptet's install callback) and reacting to addon life-cycle events.

`install` answers within Shoptet's 5-second budget: it runs InstallationWorkflow (code →
OAuth token stored encrypted, signature key renewed, webhooks registered, shop active),
then makes sure the shop's token workflow and sync schedules exist and, on a first install,
starts the initial snapshots. Repeating an install is harmless: every step converges.

`on_addon_event` applies `addon:uninstall|terminate|suspend|approve` under the shop's
installation lock (the same one the install activities hold), so an install and an
uninstall of one shop cannot interleave their writes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ActivityError, ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.problems import Problem
from api.services import reports, sync
from db.config import get_settings
from db.locks import check_fence, hold_lock
from db.models import Installation, Shop
from db.secrets import encrypt
from workflows import installation as install_wf
from workflows import tokens as token_wf
from workflows.installation import (
    CODE_REJECTED,
    InstallationWorkflow,
    InstallRequest,
    InstallResult,
)

log = logging.getLogger(__name__)

BUDGET_SECONDS = 4.5  # Shoptet counts an install as failed after 5 s
SNAPSHOT_RESOURCES = ("orders", "products", "customers")
ADDON_EVENTS = ("addon:uninstall", "addon:terminate", "addon:suspend", "addon:approve")


class InstallFailed(Problem):
    """The install did not complete; Shoptet sees a non-200 answer and may retry."""


@dataclass(frozen=True)
class Installed:
    shop_id: int
    eshop_id: int
    first_install: bool
    seconds: float
    snapshots: list[str] = field(default_factory=list)


def install_url() -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/api/shoptet/install"


def webhook_url() -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/api/webhooks/shoptet"


def _cause(err: BaseException | None) -> ApplicationError | None:
    while err is not None:
        if isinstance(err, ApplicationError):
            return err
        err = err.cause if isinstance(err, WorkflowFailureError | ActivityError) else None
    return None


async def _run_installation(client: Client, code: str, budget: float) -> InstallResult:
    request = InstallRequest(encrypt(code), install_url(), webhook_url())
    options = install_wf.start_options(code)
    try:
        handle = await client.start_workflow(InstallationWorkflow.run, request, **options)
    except WorkflowAlreadyStartedError:
        # the same code already installed successfully: answer with that result again
        handle = client.get_workflow_handle_for(InstallationWorkflow.run, options["id"])
    try:
        return await asyncio.wait_for(handle.result(), timeout=budget)
    except TimeoutError:
        raise InstallFailed(
            503,
            "Installation not finished",
            f"the installation did not finish within {BUDGET_SECONDS:g} s (workflow "
            f"{options['id']} keeps going); Shoptet will report the install as failed, retry it",
        ) from None
    except WorkflowFailureError as exc:
        cause = _cause(exc)
        if cause is not None and cause.type == CODE_REJECTED:
            raise InstallFailed(400, "Install code rejected", cause.message) from exc
        raise InstallFailed(
            502, "Installation failed", f"{cause.message if cause else exc} (workflow {options['id']})"
        ) from exc


async def install(client: Client, session: AsyncSession, code: str) -> Installed:
    """Shoptet's install callback; raises InstallFailed (a problem response) unless it all worked."""
    began = time.monotonic()
    if not code or len(code) > 2000:
        raise InstallFailed(400, "Invalid install code", "the `code` query parameter is missing or too long")
    result = await _run_installation(client, code, BUDGET_SECONDS - 0.5)
    await client.start_workflow(
        token_wf.ShopTokenWorkflow.run,
        token_wf.TokenState(shop_id=result.shop_id),
        **token_wf.start_options(result.shop_id),
    )
    await sync.ensure_sync_schedules(client, session, result.shop_id)
    await reports.ensure_report_schedule(client, result.shop_id)
    snapshots = await _initial_snapshots(client, session, result)
    seconds = round(time.monotonic() - began, 3)
    log.info("installed shop %s (eshop %s) in %.3f s", result.shop_id, result.eshop_id, seconds)
    return Installed(result.shop_id, result.eshop_id, result.first_install, seconds, snapshots)


async def _initial_snapshots(client: Client, session: AsyncSession, result: InstallResult) -> list[str]:
    """Full snapshots of a newly (re)installed shop, and of any resource a repeated install finds
    without a good or running snapshot (an earlier install failed before its data arrived); the
    incremental sync takes over from install time."""
    from sqlalchemy import select

    from api.services.snapshots import start_snapshot
    from db.models import SnapshotRun

    have = set(
        (
            await session.execute(
                select(SnapshotRun.resource).where(
                    SnapshotRun.shop_id == result.shop_id,
                    SnapshotRun.status.in_(
                        ("pending", "running") if result.first_install
                        else ("pending", "running", "completed", "completed_with_rejects")
                    ),
                )
            )
        ).scalars()
    )
    started = []
    for resource in SNAPSHOT_RESOURCES:
        if resource in have:
            continue
        shop = await session.get(Shop, result.shop_id)  # (re)loaded: a refused start rolls back
        assert shop is not None
        try:
            run = await start_snapshot(session, client, shop, resource, trigger="install")
        except Problem as exc:  # one already running (a repeated install): it is the one we want
            if exc.status != 409:
                raise
            continue
        started.append(run.workflow_id)
    return started


# -- addon life cycle


async def on_addon_event(client: Client, session: AsyncSession, shop: Shop, event: str) -> None:
    """Apply an addon life-cycle webhook to the shop, its token workflow and its schedules.

    Idempotent (Shoptet may deliver twice). Commits `session`.
    """
    if event not in ADDON_EVENTS:
        raise ValueError(f"not an addon life-cycle event: {event!r}; expected one of {', '.join(ADDON_EVENTS)}")
    async with hold_lock(f"installation:{shop.eshop_id}") as lease:
        await check_fence(session, lease)
        inst = (
            await session.execute(select(Installation).where(Installation.shop_id == shop.id))
        ).scalar_one_or_none()
        if event in ("addon:uninstall", "addon:terminate"):
            shop.status = "uninstalled"
            if inst is not None:
                inst.uninstalled_at = inst.uninstalled_at or datetime.now(UTC)
                inst.api_token = inst.api_token_expires_at = inst.api_token_refreshed_at = None
            await session.commit()
            await _stop_tokens(client, shop.id, event)
            await sync.remove_sync(client, shop.id)
        elif event == "addon:suspend":
            if shop.status != "uninstalled":
                shop.status = "suspended"
            await session.commit()
            await _stop_tokens(client, shop.id, event)
            await sync.pause_sync(client, shop.id, note=event)
        else:  # addon:approve
            if inst is None or inst.uninstalled_at is not None:
                await session.commit()
                log.warning("addon:approve for shop %s without an installation: ignored", shop.id)
                return
            shop.status = "active"
            await session.commit()
            await client.start_workflow(
                token_wf.ShopTokenWorkflow.run,
                token_wf.TokenState(shop_id=shop.id),
                **token_wf.start_options(shop.id),
            )
            await sync.ensure_sync_schedules(client, session, shop.id)
            await reports.ensure_report_schedule(client, shop.id)
    log.info("shop %s: %s applied (status %s)", shop.id, event, shop.status)


async def _stop_tokens(client: Client, shop_id: int, reason: str) -> None:
    try:
        await client.get_workflow_handle(token_wf.token_workflow_id(shop_id)).signal(
            token_wf.ShopTokenWorkflow.stop, reason
        )
    except RPCError as exc:  # not running: nothing to stop
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
