"""All in-memory state of one sandbox: shops, installations and tokens, jobs, webhooks, knobs,
the clock and counters. Tests reach it directly (`running_sandbox().state`) for assertions and
for shortcuts such as `api_token(eshop_id)`; the HTTP routes are thin wrappers around it.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import shutil
import tempfile
import threading
from collections import Counter
from collections.abc import Coroutine, Iterable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from db.config import get_settings
from infra.sandbox import czech
from infra.sandbox.clock import SandboxClock
from infra.sandbox.delivery import WebhookSender
from infra.sandbox.generator import HOSTILE_ORDER_VALUES, ShopSpec, entity_guid
from infra.sandbox.knobs import Faults, Limits, apply_knobs, knobs_dict
from infra.sandbox.ratelimit import InFlight
from infra.sandbox.shops import Installation, Shop
from infra.sandbox.snapshots import JobRunner
from infra.sandbox.tokens import OAuthFailure, TokenAuthority

DEMO_ESHOP_ID = 100001


def demo_shop(today: date) -> ShopSpec:
    """The `--demo` shop: a few thousand orders over the two years up to `today`."""
    return ShopSpec(
        eshop_id=DEMO_ESHOP_ID,
        seed=42,
        orders=3000,
        products=250,
        customers=900,
        mean_items=2.2,
        date_from=today - timedelta(days=730),
        date_to=today,
    )


def not_after(spec: ShopSpec, now: float) -> ShopSpec:
    """The spec cut at `now` on the sandbox clock when its dates reach past it: no order, customer
    or product is created or changed in the future (an explicit earlier `until` is kept)."""
    if spec.until is not None and spec.until <= now:
        return spec
    if spec.timeline.end_ts <= now:
        return spec
    return replace(spec, until=now)


class SandboxState:
    def __init__(
        self,
        *,
        shops: Iterable[ShopSpec] = (),
        client_id: str | None = None,
        client_secret: str | None = None,
        results_dir: Path | None = None,
        **knobs: Any,
    ) -> None:
        settings = get_settings()
        # The addon credentials default to the app's own settings, so both sides agree.
        self.client_id = client_id or settings.shoptet_client_id
        self.client_secret = client_secret or settings.shoptet_client_secret.get_secret_value()
        self._initial_shops = tuple(shops)
        self._initial_knobs = dict(knobs)
        self._own_results_dir = results_dir is None
        self.results_dir = results_dir or Path(tempfile.mkdtemp(prefix="shoptet-sandbox-"))
        self.results_dir.mkdir(parents=True, exist_ok=True)
        self.clock = SandboxClock()
        self.limits = Limits()
        self.faults = Faults()
        apply_knobs(self.limits, self.faults, knobs)
        self.tokens = TokenAuthority(self.clock, self.limits)
        self.shops: dict[int, Shop] = {}
        self.stats: Counter[str] = Counter()
        self.requests_by_path: Counter[str] = Counter()
        self.inflight = InFlight()
        self.webhooks = WebhookSender(self)
        self.jobs = JobRunner(self, self.results_dir)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._lock = threading.RLock()
        self._webhook_ids = itertools.count(1)
        for spec in self._initial_shops:
            self.add_shop(spec)

    # -- life cycle

    async def startup(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self.webhooks.start()

    async def shutdown(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.webhooks.stop()
        self.loop = None
        if self._own_results_dir:
            shutil.rmtree(self.results_dir, ignore_errors=True)

    def reset(self) -> None:
        """Back to the state this sandbox started with: initial shops, default knobs, clock at now."""
        with self._lock:
            for task in list(self._tasks):
                self._call_in_loop(task.cancel)
            self.jobs.jobs.clear()
            for path in self.results_dir.glob("*.json"):
                path.unlink(missing_ok=True)
            self.clock.reset()
            for target, fresh in ((self.limits, Limits()), (self.faults, Faults())):
                target.__dict__.update(fresh.__dict__)
            apply_knobs(self.limits, self.faults, self._initial_knobs)
            self.tokens.clear()
            self.shops.clear()
            self.stats.clear()
            self.requests_by_path.clear()
            self.webhooks.notifications.clear()
            for spec in self._initial_shops:
                self.add_shop(spec)

    def set_knobs(self, changes: dict[str, Any]) -> dict[str, Any]:
        apply_knobs(self.limits, self.faults, changes)
        return self.knobs()

    def knobs(self) -> dict[str, Any]:
        return knobs_dict(self.limits, self.faults)

    # -- shops and installations

    def add_shop(self, spec: ShopSpec) -> Shop:
        with self._lock:
            if spec.eshop_id in self.shops:
                raise ValueError(
                    f"shop {spec.eshop_id} already exists; POST /_sandbox/reset or pick another eshop_id"
                )
            shop = Shop(not_after(spec, self.clock.now()), self.limits)
            self.shops[spec.eshop_id] = shop
            return shop

    def shop(self, eshop_id: int) -> Shop:
        try:
            return self.shops[eshop_id]
        except KeyError:
            raise KeyError(
                f"no sandbox shop {eshop_id}; create it with POST /_sandbox/shops"
            ) from None

    def mint_code(self, eshop_id: int, redirect_uri: str | None = None) -> str:
        self.shop(eshop_id)
        return self.tokens.mint_code(eshop_id, redirect_uri)

    def exchange_code(
        self, *, client_id: str, client_secret: str | None, code: str, redirect_uri: str | None
    ) -> dict[str, Any]:
        """The OAuth token endpoint's work: check the client, redeem the code, (re)install."""
        self.stats["token_exchanges"] += 1
        if client_id != self.client_id or (
            self.client_secret and client_secret != self.client_secret
        ):
            raise OAuthFailure(401, "invalid_client", "Unknown client_id or wrong client_secret.")
        eshop_id = self.tokens.redeem_code(code, redirect_uri)
        token = self._install(eshop_id)
        shop = self.shops[eshop_id]
        return {
            "access_token": token,
            "expires_in": None,
            "token_type": "Bearer",
            "scope": "api",
            "eshopId": eshop_id,
            "eshopUrl": shop.spec.eshop_url,
            "contactEmail": f"majitel@shop{eshop_id}.cz",
        }

    def _install(self, eshop_id: int) -> str:
        with self._lock:
            token = self.tokens.issue_oauth_token(eshop_id)
            self.shops[eshop_id].installation = Installation(
                oauth_token=token, installed_at=self.clock.now()
            )
            return token

    def install(self, eshop_id: int) -> str:
        """Shortcut for tests: install the addon on a shop without the callback; returns the OAuth token."""
        self.shop(eshop_id)
        return self._install(eshop_id)

    def api_token(self, eshop_id: int) -> str:
        """Shortcut for tests: a fresh API access token for the shop (installing it first if needed)."""
        shop = self.shop(eshop_id)
        oauth = shop.installation.oauth_token if shop.installation else self.install(eshop_id)
        return self.tokens.issue_api_token(oauth).token

    def issue_api_token(self, oauth_token: str) -> dict[str, Any]:
        """The getAccessToken endpoint's work, with Shoptet's addon-state errors."""
        self.stats["get_access_token_calls"] += 1
        eshop_id = self.tokens.shop_of_oauth_token(oauth_token)
        if eshop_id is not None:
            installation = self.shops[eshop_id].installation
            status = installation.status if installation else "uninstalled"
            if status == "suspended":
                raise OAuthFailure(403, "addon_suspended", "The addon is suspended in this e-shop.")
            if status == "uninstalled":
                raise OAuthFailure(
                    403, "addon_not_installed", "The addon is not installed in this e-shop."
                )
        record = self.tokens.issue_api_token(oauth_token)
        self.stats["api_tokens_issued"] += 1
        return {"access_token": record.token, "expires_in": self.limits.api_token_ttl}

    def next_webhook_id(self) -> int:
        return next(self._webhook_ids)

    @staticmethod
    def new_signature_key() -> str:
        return secrets.token_hex(16)

    # -- webhooks

    async def notify(self, eshop_id: int, event: str, instance: str) -> None:
        note = self.webhooks.prepare(eshop_id, event, instance)
        if note is not None:
            await self.webhooks.deliver(note)

    def fire(self, eshop_id: int, event: str, instance: str) -> None:
        """Send a webhook in the background; callable from the server loop or a test's thread."""
        if self.loop is None:
            self.webhooks.prepare(eshop_id, event, instance)
            return
        self.spawn(self.notify(eshop_id, event, instance))

    def _in_server_loop(self) -> bool:
        try:
            return asyncio.get_running_loop() is self.loop
        except RuntimeError:
            return False

    def _call_in_loop(self, fn: Any) -> None:
        if self.loop is None or self._in_server_loop():
            fn()
        else:
            self.loop.call_soon_threadsafe(fn)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run a background coroutine on the server loop, tracked so shutdown can cancel it."""
        loop = self.loop
        assert loop is not None, "the sandbox server is not running"

        def start() -> None:
            task = loop.create_task(coro)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        self._call_in_loop(start)

    # -- order events (control API)

    def create_order(self, eshop_id: int) -> str:
        with self._lock:
            code = self.shop(eshop_id).data.create_order(self.clock.now())
        self.fire(eshop_id, "order:create", code)
        return code

    def update_order(
        self,
        eshop_id: int,
        code: str,
        *,
        status_id: int | None = None,
        paid: bool | None = None,
        remark: str | None = None,
        hostile: str | None = None,
    ) -> None:
        """Change an order as a merchant would; `hostile` gives its detail one value of
        `HOSTILE_ORDER_VALUES` (a decade-old shop's data), `""` takes it away again."""
        if status_id is not None and status_id not in czech.STATUS_NAMES:
            raise ValueError(
                f"unknown order status {status_id}; known: {sorted(czech.STATUS_NAMES)}"
            )
        if hostile and hostile not in HOSTILE_ORDER_VALUES:
            raise ValueError(f"unknown hostile value {hostile!r}; known: {sorted(HOSTILE_ORDER_VALUES)}")
        data = self.shop(eshop_id).data
        with self._lock:
            index = data.order_index(code)
            was_paid = data.order_full(index)["paid"] if index is not None else None
            data.update_order(
                code, self.clock.now(), status_id=status_id, paid=paid, remark=remark,
                hostile=hostile,
            )
        self.fire(eshop_id, "order:update", code)
        if paid and not was_paid:
            self.fire(eshop_id, "order:paid", code)

    def cancel_order(self, eshop_id: int, code: str) -> None:
        with self._lock:
            self.shop(eshop_id).data.update_order(code, self.clock.now(), status_id=-4, paid=False)
        self.fire(eshop_id, "order:cancel", code)

    # -- deletions (control API)

    def delete_order(self, eshop_id: int, code: str) -> int:
        """Delete a live order now and fire `order:delete`; returns the deletion time.
        Raises KeyError for an unknown or already deleted code."""
        data = self.shop(eshop_id).data
        with self._lock:
            index = data.order_index(code)
            if index is None:
                raise KeyError(f"shop {eshop_id} has no order {code}")
            when = data.delete("orders", index, self.clock.now())
        self.fire(eshop_id, "order:delete", code)
        return when

    def delete_product(self, eshop_id: int, guid: str) -> int:
        """Delete a product (with its variants' supplies) and fire `product:delete`."""
        return self._delete_by_guid(eshop_id, "products", guid)

    def delete_customer(self, eshop_id: int, guid: str) -> int:
        """Delete a customer and fire `customer:delete`; their orders stay as they are."""
        return self._delete_by_guid(eshop_id, "customers", guid)

    def _delete_by_guid(self, eshop_id: int, kind: str, guid: str) -> int:
        data = self.shop(eshop_id).data
        with self._lock:
            index = data.find(kind, guid)
            if index is None:
                raise KeyError(f"shop {eshop_id} has no {kind[:-1]} {guid}")
            when = data.delete(kind, index, self.clock.now())
            guid = entity_guid(data.spec, kind[:-1], index)  # canonical (lower case) form
        self.fire(eshop_id, f"{kind[:-1]}:delete", guid)
        return when

    # -- reporting

    def stats_view(self) -> dict[str, Any]:
        return {
            "counters": dict(self.stats),
            "requestsByPath": dict(self.requests_by_path),
            "getAccessTokenCalls": self.stats["get_access_token_calls"],
            "rateLimited": self.stats["rate_limited"],
            "webhooksSent": self.stats["webhooks_sent"],
            "liveApiTokens": sum(
                1 for t in self.tokens.api_tokens.values() if t.expires_at > self.clock.now()
            ),
            "jobs": len(self.jobs.jobs),
            "clockOffsetSeconds": self.clock.offset,
        }
