"""Activities of InstallationWorkflow: redeem the install code, set up webhooks, activate.

Two installs of one shop can run at once (Shoptet retrying, a merchant reinstalling), so
every write to a shop's installation happens under the Redis lock `installation:{eshop}`
with its fencing token checked in the same transaction (db/locks.py). Renewing the
signature key and storing it is one guarded step: otherwise a slower install could store a
key Shoptet no longer signs with.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.shoptet.errors import ShoptetError
from activities.shoptet.oauth import OAuthError, exchange_code
from activities.shoptet_access import NotInstalled, shop_client
from db.config import get_settings
from db.engine import session_scope
from db.locks import check_fence, hold_lock
from db.models import Installation, Shop, SyncCursor
from db.secrets import SecretError, decrypt
from workflows.installation import CODE_REJECTED, Grant, InstallRequest, WebhookPlan, WebhookReport
from workflows.sync import RESOURCES

log = logging.getLogger(__name__)

# Shoptet forbids registering both events of a pair (409); the one we do not want goes.
EXCLUSIVE = ({"order:update", "order:cancel"}, {"customer:update", "customer:enableOrders"},
             {"customer:update", "customer:disableOrders"})
OAUTH_TIMEOUT = httpx.Timeout(4.0, connect=2.0)  # inside Shoptet's 5 s install budget


def installation_lock(eshop_id: int) -> str:
    return f"installation:{eshop_id}"


def _permanent(message: str) -> ApplicationError:
    return ApplicationError(message, type="ShoptetPermanentError", non_retryable=True)


@activity.defn
async def redeem_install_code(req: InstallRequest) -> Grant:
    """Exchange the code for the OAuth token and store it; nothing is stored if Shoptet refuses."""
    try:
        code = decrypt(req.sealed_code)
    except SecretError as exc:
        raise ApplicationError(str(exc), type=CODE_REJECTED, non_retryable=True) from exc
    settings = get_settings()
    try:
        async with httpx.AsyncClient(timeout=OAUTH_TIMEOUT) as http:
            grant = await exchange_code(
                http,
                settings.shoptet_partner_url,
                settings.shoptet_client_id,
                settings.shoptet_client_secret.get_secret_value(),
                code,
                req.redirect_uri,
            )
    except OAuthError as exc:
        if exc.status >= 500:
            raise
        raise ApplicationError(
            f"Shoptet refused the install code: {exc.error_code or exc.status}: {exc.message}",
            type=CODE_REJECTED,
            non_retryable=True,
        ) from exc
    async with hold_lock(installation_lock(grant.eshop_id)) as lease, session_scope() as session:
        await check_fence(session, lease)
        shop = (
            await session.execute(select(Shop).where(Shop.eshop_id == grant.eshop_id))
        ).scalar_one_or_none()
        if shop is None:
            shop = Shop(
                eshop_id=grant.eshop_id,
                name=_name_from_url(grant.eshop_url) or f"Shop {grant.eshop_id}",
                url=grant.eshop_url or None,
                contact_email=grant.contact_email,
                status="installing",
            )
            session.add(shop)
            await session.flush()
        inst = (
            await session.execute(select(Installation).where(Installation.shop_id == shop.id))
        ).scalar_one_or_none()
        first = inst is None or inst.uninstalled_at is not None
        now = datetime.now(UTC)
        if inst is None:
            inst = Installation(shop_id=shop.id, oauth_token=grant.access_token, scope=grant.scope)
            session.add(inst)
        elif inst.oauth_token != grant.access_token:
            # A new OAuth token revokes the old one and every API token minted from it.
            inst.oauth_token = grant.access_token
            inst.api_token = None
            inst.api_token_expires_at = None
            inst.api_token_refreshed_at = None
        inst.uninstalled_at = None
        inst.last_error = None
        if first:
            inst.installed_at = now
        if shop.status != "active":
            shop.status = "installing"
        shop.contact_email = grant.contact_email or shop.contact_email
        await _start_cursors(session, shop.id, now, reset=first)
        log.info("shop %s (eshop %s) installed (first=%s)", shop.id, grant.eshop_id, first)
        return Grant(shop_id=shop.id, eshop_id=grant.eshop_id, first_install=first)


def _name_from_url(url: str) -> str:
    host = httpx.URL(url).host if url else ""
    return host.removeprefix("www.")


async def _start_cursors(session: AsyncSession, shop_id: int, now: datetime, *, reset: bool) -> None:
    """The incremental sync starts at installation; the initial snapshots cover what was before."""
    existing = {
        c.resource: c
        for c in (
            await session.execute(select(SyncCursor).where(SyncCursor.shop_id == shop_id))
        ).scalars()
    }
    start = now - timedelta(minutes=1)
    for resource in RESOURCES:
        cursor = existing.get(resource)
        if cursor is None:
            session.add(
                SyncCursor(shop_id=shop_id, resource=resource, changed_since=start, last_reconciled_at=now)
            )
        elif reset:
            cursor.changed_since, cursor.last_reconciled_at, cursor.last_error = start, now, None


async def _eshop_of(shop_id: int) -> int:
    async with session_scope() as session:
        eshop = (
            await session.execute(select(Shop.eshop_id).where(Shop.id == shop_id))
        ).scalar_one_or_none()
    if eshop is None:
        raise _permanent(f"shop {shop_id} does not exist")
    return eshop


@activity.defn
async def configure_webhooks(plan: WebhookPlan) -> WebhookReport:
    """Renew the signature key (stored encrypted), then make the registered webhooks match the plan.

    Key first: notifications for freshly registered events are then signed with a key we hold.
    """
    eshop_id = await _eshop_of(plan.shop_id)
    wanted = set(plan.events)
    try:
        async with (
            hold_lock(installation_lock(eshop_id), ttl=60) as lease,
            shop_client(plan.shop_id) as client,
        ):
            data = await client.post("/api/webhooks/renew-signature-key")
            key = str(data["signatureKey"])
            async with session_scope() as session:
                await check_fence(session, lease)
                inst = (
                    await session.execute(
                        select(Installation).where(Installation.shop_id == plan.shop_id)
                    )
                ).scalar_one()
                inst.webhook_key = key
            existing = [hook async for hook in client.iter_list("/api/webhooks", "webhooks", items_per_page=500)]
            kept, updated, removed = [], [], []
            for hook in existing:
                event, url = hook["event"], hook["url"]
                unwanted_pair = any(event in pair and (pair - {event}) & wanted for pair in EXCLUSIVE)
                if event in wanted and url == plan.url:
                    kept.append(event)
                elif event in wanted:
                    await client.patch(f"/api/webhooks/{hook['id']}", json={"data": {"url": plan.url}})
                    updated.append(event)
                elif unwanted_pair or url == plan.url:
                    await client.delete(f"/api/webhooks/{hook['id']}")
                    removed.append(event)
            missing = sorted(wanted - set(kept) - set(updated))
            if missing:
                await client.post(
                    "/api/webhooks",
                    json={"data": [{"event": e, "url": plan.url} for e in missing]},
                )
    except NotInstalled as exc:
        raise _permanent(str(exc)) from exc
    except ShoptetError as exc:
        if exc.retryable:
            raise
        raise _permanent(f"configuring webhooks: {exc}") from exc
    return WebhookReport(registered=missing, updated=updated, kept=kept, removed=removed)


@activity.defn
async def activate_shop(shop_id: int) -> None:
    """Take the shop's name and time zone from Shoptet and mark it active."""
    eshop_id = await _eshop_of(shop_id)
    info: dict[str, object] = {}
    try:
        async with shop_client(shop_id) as client:
            info = await client.get("/api/eshop") or {}
    except ShoptetError as exc:  # cosmetic data; the installation does not depend on it
        log.warning("shop %s: could not read /api/eshop: %s", shop_id, exc)
    contact = info.get("contactInformation") if isinstance(info, dict) else None
    settings = info.get("settings") if isinstance(info, dict) else None
    async with hold_lock(installation_lock(eshop_id)) as lease, session_scope() as session:
        await check_fence(session, lease)
        shop = await session.get(Shop, shop_id)
        assert shop is not None
        if isinstance(contact, dict):
            shop.name = str(contact.get("eshopName") or shop.name)[:200]
            shop.url = str(contact.get("url") or shop.url or "")[:500] or None
        if isinstance(settings, dict) and settings.get("timezone"):
            shop.timezone = str(settings["timezone"])[:64]
        if shop.status == "installing":
            shop.status = "active"


ACTIVITIES = [redeem_install_code, configure_webhooks, activate_shop]
