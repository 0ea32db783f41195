"""Webhook notifications as Shoptet sends them: compact JSON body, `Shoptet-Webhook-Signature`
= lowercase hex HMAC-SHA1 of the raw body with the installation's signature key, success only
on HTTP 200, a few retries. Faults can drop or duplicate deliveries.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import orjson

from infra.sandbox.formats import shoptet_time

if TYPE_CHECKING:
    from infra.sandbox.state import SandboxState

SIGNATURE_HEADER = "Shoptet-Webhook-Signature"


def sign(key: str, body: bytes) -> str:
    return hmac.new(key.encode(), body, hashlib.sha1).hexdigest()


def notification_body(eshop_id: int, event: str, event_created: str, instance: str) -> bytes:
    """The exact bytes Shoptet posts (key order and compact separators matter for the HMAC)."""
    return orjson.dumps(
        {
            "eshopId": eshop_id,
            "event": event,
            "eventCreated": event_created,
            "eventInstance": instance,
        }
    )


@dataclass
class Notification:
    id: int
    eshop_id: int
    webhook_id: int
    url: str
    event: str
    instance: str
    created: float
    body: bytes
    attempts: int = 0
    status: str = "new"  # new | success | failed | dropped
    deliveries: int = 0  # successful POSTs (2 when duplicated)
    responses: list[int | str] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "webhookId": self.webhook_id,
            "webhookUrl": self.url,
            "event": self.event,
            "eventInstance": self.instance,
            "created": shoptet_time(self.created),
            "attempts": self.attempts,
            "status": self.status,
            "deliveries": self.deliveries,
            "responses": self.responses,
        }


class WebhookSender:
    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self.http: httpx.AsyncClient | None = None
        self.notifications: list[Notification] = []
        self._rng = random.Random(0)

    async def start(self) -> None:
        self.http = httpx.AsyncClient(timeout=self.state.limits.webhook_timeout)

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.aclose()
            self.http = None

    def prepare(self, eshop_id: int, event: str, instance: str) -> Notification | None:
        """Record a notification for `event` if the shop's installation registered that event."""
        shop = self.state.shops.get(eshop_id)
        if shop is None or shop.installation is None or shop.installation.status != "active":
            return None
        hook = shop.installation.webhook_for(event)
        if hook is None:
            return None
        now = self.state.clock.now()
        note = Notification(
            id=len(self.notifications) + 1,
            eshop_id=eshop_id,
            webhook_id=hook.id,
            url=hook.url,
            event=event,
            instance=instance,
            created=now,
            body=notification_body(eshop_id, event, shoptet_time(now), instance),
        )
        self.notifications.append(note)
        return note

    async def deliver(self, note: Notification) -> None:
        faults, stats = self.state.faults, self.state.stats
        if self._rng.random() < faults.drop_webhooks:
            note.status = "dropped"
            stats["webhooks_dropped"] += 1
            return
        copies = 2 if self._rng.random() < faults.duplicate_webhooks else 1
        for _ in range(copies):
            await self._post_with_retries(note)

    async def _post_with_retries(self, note: Notification) -> None:
        shop = self.state.shops.get(note.eshop_id)
        key = shop.installation.signature_key if shop and shop.installation else None
        headers = {"Content-Type": "application/json"}
        if key:
            headers[SIGNATURE_HEADER] = sign(key, note.body)
        assert self.http is not None, "webhook sender used before the sandbox started"
        for attempt in range(max(1, self.state.faults.webhook_attempts)):
            if attempt:
                await asyncio.sleep(self.state.faults.webhook_retry_ms / 1000)
            note.attempts += 1
            try:
                response = await self.http.post(note.url, content=note.body, headers=headers)
                note.responses.append(response.status_code)
                if response.status_code == 200:
                    note.status = "success"
                    note.deliveries += 1
                    self.state.stats["webhooks_sent"] += 1
                    return
            except httpx.HTTPError as exc:
                note.responses.append(type(exc).__name__)
            self.state.stats["webhook_attempts_failed"] += 1
        if note.status != "success":  # a duplicate that fails keeps the first copy's success
            note.status = "failed"
