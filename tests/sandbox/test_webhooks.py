"""Webhook registration rules, the signature, order events, and the delivery fault knobs."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
from collections.abc import Callable

import httpx
import orjson

from infra.sandbox.delivery import notification_body, sign
from infra.sandbox.generator import order_code
from infra.sandbox.testing import running_receiver

from .conftest import SHOP


def test_signature_matches_the_official_sdk_test_vector() -> None:
    key = "61d1175f54c47dd67df14c17002a17b2"
    body = notification_body(315185, "addon:uninstall", "2019-09-23T22:01:36+0200", "315185")
    assert body == (
        b'{"eshopId":315185,"event":"addon:uninstall","eventCreated":"2019-09-23T22:01:36+0200","eventInstance":"315185"}'
    )
    assert sign(key, body) == "a0e0a3e7689bd4c80e4d6ffcccb05235b864e1d0"


async def test_registration_rules(api: httpx.AsyncClient, conforms: Callable[..., None]) -> None:
    url = "https://addon.example/hook"
    created = await api.post(
        "/api/webhooks", json={"data": [{"event": "order:create", "url": url}]}
    )
    assert created.status_code == 201
    conforms(created.json(), "/api/webhooks", method="post", status="201")
    duplicate = await api.post(
        "/api/webhooks", json={"data": [{"event": "order:create", "url": url + "2"}]}
    )
    assert duplicate.status_code == 422
    assert "already exists" in duplicate.json()["errors"][0]["message"]
    assert (
        await api.post("/api/webhooks", json={"data": [{"event": "order:update", "url": url}]})
    ).status_code == 201
    exclusive = await api.post(
        "/api/webhooks", json={"data": [{"event": "order:cancel", "url": url}]}
    )
    assert exclusive.status_code == 409
    unknown = await api.post(
        "/api/webhooks", json={"data": [{"event": "order:explode", "url": url}]}
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["instance"] == "data.0.event"
    too_many = [{"event": f"brand:{e}", "url": url} for e in ("create", "update", "delete")] * 17
    assert (await api.post("/api/webhooks", json={"data": too_many})).status_code == 413
    assert (await api.post("/api/webhooks", content=b"{not json")).status_code == 422

    listed = (await api.get("/api/webhooks")).json()
    conforms(listed, "/api/webhooks")
    hooks = listed["data"]["webhooks"]
    assert [h["event"] for h in hooks] == ["order:create", "order:update"]
    assert (await api.delete(f"/api/webhooks/{hooks[0]['id']}")).status_code == 200
    gone = await api.get(f"/api/webhooks/{hooks[0]['id']}")
    assert gone.status_code == 404 and gone.json()["errors"][0]["errorCode"] == "webhook-not-found"
    key = (await api.post("/api/webhooks/renew-signature-key")).json()["data"]["signatureKey"]
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    assert (await api.post("/api/webhooks/renew-signature-key")).json()["data"][
        "signatureKey"
    ] != key


async def test_order_create_update_cancel_fire_signed_webhooks(
    api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    async with running_receiver() as hooks:
        for event in ("order:create", "order:update", "order:paid"):
            await api.post("/api/webhooks", json={"data": [{"event": event, "url": hooks.url}]})
        key = (await api.post("/api/webhooks/renew-signature-key")).json()["data"]["signatureKey"]
        created = (await control.post(f"/shops/{SHOP.eshop_id}/orders")).json()["code"]
        await control.patch(
            f"/shops/{SHOP.eshop_id}/orders/{created}", json={"paid": True, "status_id": -3}
        )
        received = await hooks.wait_for(3)
        # order:cancel is exclusive with order:update; swap them to see a cancel
        update_id = next(
            h["id"]
            for h in (await api.get("/api/webhooks")).json()["data"]["webhooks"]
            if h["event"] == "order:update"
        )
        await api.delete(f"/api/webhooks/{update_id}")
        await api.post(
            "/api/webhooks", json={"data": [{"event": "order:cancel", "url": hooks.url}]}
        )
        code = order_code(SHOP, 5)
        await control.post(f"/shops/{SHOP.eshop_id}/orders/{code}/cancel")
        received = await hooks.wait_for(4)
    events = [
        (orjson.loads(r.body)["event"], orjson.loads(r.body)["eventInstance"]) for r in received
    ]
    assert events[0] == ("order:create", created)
    assert set(events[1:3]) == {("order:update", created), ("order:paid", created)}
    assert events[3] == ("order:cancel", code)
    for r in received:
        assert (
            r.headers["shoptet-webhook-signature"]
            == hmac.new(key.encode(), r.body, hashlib.sha1).hexdigest()
        )
        assert b" " not in r.body.replace(b"E-shop", b"")  # compact JSON
        assert orjson.loads(r.body)["eshopId"] == SHOP.eshop_id
    cancelled = (await api.get(f"/api/orders/{code}")).json()["data"]["order"]
    assert cancelled["status"]["id"] == -4 and cancelled["paid"] is False


async def test_duplicate_and_drop_webhook_knobs(
    api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    async with running_receiver() as hooks:
        await api.post(
            "/api/webhooks", json={"data": [{"event": "order:create", "url": hooks.url}]}
        )
        await control.patch("/faults", json={"duplicate_webhooks": 1.0})
        first = (await control.post(f"/shops/{SHOP.eshop_id}/orders")).json()["code"]
        doubled = await hooks.wait_for(2)
        assert [orjson.loads(r.body)["eventInstance"] for r in doubled] == [first, first]
        assert doubled[0].body == doubled[1].body

        await control.patch("/faults", json={"duplicate_webhooks": 0, "drop_webhooks": 1.0})
        await control.post(f"/shops/{SHOP.eshop_id}/orders")
        await asyncio.sleep(0.2)
        assert len(hooks.received) == 2
    stats = (await control.get("/stats")).json()["counters"]
    assert stats["webhooks_dropped"] == 1 and stats["webhooks_sent"] == 2


async def test_failed_deliveries_are_retried_then_given_up(
    api: httpx.AsyncClient, control: httpx.AsyncClient
) -> None:
    async with running_receiver(status=500) as hooks:
        await api.post(
            "/api/webhooks", json={"data": [{"event": "order:create", "url": hooks.url}]}
        )
        await control.post(f"/shops/{SHOP.eshop_id}/orders")
        await hooks.wait_for(3)
        await asyncio.sleep(0.2)
        assert len(hooks.received) == 3  # Shoptet tries three times in all
    (note,) = (await control.get("/webhooks/notifications")).json()
    assert (
        note["status"] == "failed"
        and note["attempts"] == 3
        and note["responses"] == [500, 500, 500]
    )
