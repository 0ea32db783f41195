"""A shop connected to the Shoptet sandbox: installed, webhooks registered to our live API,
signature key stored encrypted, API token fresh; the settings point the client at the sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.orm import Session

from activities.shoptet.client import ShoptetClient
from activities.shoptet.tokens import StaticToken
from db.models import Installation, Shop
from infra.sandbox.generator import ShopSpec
from infra.sandbox.testing import RunningSandbox, running_sandbox
from tests.support import MakeUser, app_env, fresh_eshop_id, login


@dataclass
class ConnectedShop:
    shop: Shop
    spec: ShopSpec
    sandbox: RunningSandbox
    api_url: str


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with running_sandbox(job_pending_ms=20, job_running_ms=50, webhook_retry_ms=200) as sb:
        with app_env(SHOPTET_API_URL=sb.url, SHOPTET_PARTNER_URL=sb.url):
            yield sb


async def connect_shop(
    sb: RunningSandbox, api_url: str, db: Session, spec: ShopSpec, events: tuple[str, ...] = ("job:finished",)
) -> ConnectedShop:
    sb.state.add_shop(spec)
    oauth = sb.state.install(spec.eshop_id)
    token = sb.api_token(spec.eshop_id)
    async with ShoptetClient(sb.url, StaticToken(token)) as client:
        await client.post(
            "/api/webhooks",
            json={"data": [{"event": e, "url": f"{api_url}/api/webhooks/shoptet"} for e in events]},
        )
        key = (await client.post("/api/webhooks/renew-signature-key"))["signatureKey"]
    shop = Shop(eshop_id=spec.eshop_id, name=f"Sandbox {spec.eshop_id}", status="active")
    db.add(shop)
    db.flush()
    db.add(
        Installation(
            shop_id=shop.id,
            oauth_token=oauth,
            webhook_key=key,
            api_token=token,
            api_token_expires_at=datetime.now(UTC) + timedelta(minutes=29),
        )
    )
    db.commit()
    return ConnectedShop(shop, spec, sb, api_url)


# Sign in as a manager of the shop.
Login = Callable[[int], Awaitable[None]]


@pytest.fixture
async def manager(api: httpx.AsyncClient, make_user: MakeUser) -> Login:
    """Log the API client in as a manager of the given shop."""

    async def _login(shop_id: int) -> None:
        user, password = make_user(shops={shop_id: "manager"})
        await login(api, user.email, password)

    return _login


def new_eshop_id() -> int:
    return fresh_eshop_id()
