"""Outbound webhooks end to end: an endpoint registered through the API, events published from
the code paths, one workflow per delivery retrying on durable timers, signatures the receiver
can verify, the delivery log, auto-disable with a notification, replay, and the SSRF guard."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import httpx
import psycopg
import pytest

from tests.outbound_webhooks.conftest import FAST, HISTORIES, Receiver
from tests.support import app_env, assert_problem, login


@pytest.fixture
def pg(database_url: str) -> Any:
    conn = psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    yield conn
    conn.close()


async def _manager(api: httpx.AsyncClient, make_user: Any, shop_id: int) -> None:
    user, password = make_user(shops={shop_id: "manager"})
    await login(api, user.email, password)


async def _register(api: httpx.AsyncClient, shop_id: int, url: str, events: list[str]) -> dict[str, Any]:
    created = await api.post(f"/api/shops/{shop_id}/webhook-endpoints", json={"url": url, "events": events})
    assert created.status_code == 201, created.text
    return created.json()


async def _finished(pg: psycopg.Connection[Any], ids: list[int], timeout: float = 60) -> list[tuple[Any, ...]]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        rows = pg.execute(
            "SELECT id, status, attempts, last_status_code FROM webhook_deliveries WHERE id = ANY(%s) ORDER BY id",
            (ids,),
        ).fetchall()
        if rows and all(r[1] != "pending" for r in rows):
            return rows
        assert asyncio.get_running_loop().time() < deadline, rows
        await asyncio.sleep(0.2)


async def test_an_endpoint_failing_five_times_gets_one_accepted_signed_delivery_per_event(
    api: httpx.AsyncClient, make_user: Any, make_shop: Any, pg: Any, worker: Any, receiver: Receiver
) -> None:
    from infra.outbound_webhooks.events import publish
    from infra.outbound_webhooks.signing import HEADER, verify

    receiver.fail_first = 5
    shop = make_shop("Webhook shop")
    await _manager(api, make_user, shop.id)
    endpoint = await _register(api, shop.id, receiver.url, ["order.created", "order.changed"])
    secret = endpoint["secret"]
    assert secret.startswith("whsec_")
    stored = pg.execute("SELECT secret FROM webhook_endpoints WHERE id = %s", (endpoint["id"],)).fetchone()[0]
    assert secret not in stored  # encrypted at rest

    with app_env(**FAST):
        ids = await publish(shop.id, [("order.created", {"code": "2026001"}), ("order.changed", {"code": "2026000"}),
                                      ("stock.low", {"variants": []})])  # not subscribed: no delivery
    assert len(ids) == 2
    rows = await _finished(pg, ids)
    assert [(r[1], r[2], r[3]) for r in rows] == [("delivered", 6, 200)] * 2

    accepted = [r for r in receiver.received if r.answered == 200]
    assert len(receiver.received) == 12 and len(accepted) == 2
    import json

    assert sorted(json.loads(r.body)["type"] for r in accepted) == ["order.changed", "order.created"]
    assert len({json.loads(r.body)["id"] for r in accepted}) == 2  # one accepted delivery per event
    now = int(time.time())
    for r in receiver.received:
        assert verify(secret, r.headers[HEADER], r.body, now)
        assert not verify(secret, r.headers[HEADER], r.body + b" ", now)  # tampered body
        assert not verify("whsec_other", r.headers[HEADER], r.body, now)
        assert not verify(secret, r.headers[HEADER], r.body, now + 3600)  # replayed an hour later

    log = await api.get(f"/api/shops/{shop.id}/webhook-endpoints/{endpoint['id']}/deliveries/{ids[0]}/attempts")
    assert [a["status_code"] for a in log.json()] == [500] * 5 + [200]
    listed = (await api.get(f"/api/shops/{shop.id}/webhook-endpoints/{endpoint['id']}/deliveries")).json()
    assert {d["id"] for d in listed} == set(ids)

    # replay: a new delivery of the same event (same id and bytes), logged on its own
    with app_env(**FAST):
        replayed = await api.post(f"/api/shops/{shop.id}/webhook-endpoints/{endpoint['id']}/deliveries/{ids[0]}/replay")
    assert replayed.status_code == 202, replayed.text
    new = replayed.json()
    assert new["replay_of"] == ids[0]
    assert new["event_id"] == next(d["event_id"] for d in listed if d["id"] == ids[0])
    [(_, status, attempts, code)] = await _finished(pg, [new["id"]])
    assert (status, attempts, code) == ("delivered", 1, 200)
    assert receiver.received[-1].body == next(r.body for r in accepted if json.loads(r.body)["type"] == "order.created")

    if os.environ.get("SHOPOPS_RECORD_HISTORIES"):
        from infra.temporal_client import connect
        from workflows.outbound_webhooks import workflow_id

        history = await (await connect()).get_workflow_handle(workflow_id(ids[0])).fetch_history()
        HISTORIES.mkdir(exist_ok=True)
        (HISTORIES / "delivery.json").write_text(history.to_json())


async def test_an_endpoint_that_keeps_failing_is_disabled_with_a_notification(
    api: httpx.AsyncClient, make_user: Any, make_shop: Any, pg: Any, worker: Any, receiver: Receiver
) -> None:
    from infra.outbound_webhooks.events import publish

    receiver.always = 503
    shop = make_shop("Failing endpoint shop")
    await _manager(api, make_user, shop.id)
    endpoint = await _register(api, shop.id, receiver.url, ["snapshot.finished"])
    settings = {**FAST, "OUTBOUND_WEBHOOK_RETRY_HOURS": "0.0003", "OUTBOUND_WEBHOOK_DISABLE_AFTER": "3"}
    for n in range(3):
        with app_env(**settings):
            ids = await publish(shop.id, [("snapshot.finished", {"run_id": n})])
            assert len(ids) == 1
            [(_, status, attempts, code)] = await _finished(pg, ids)
        assert status == "gave_up" and attempts >= 2 and code == 503
    [(enabled, failures, reason)] = pg.execute(
        "SELECT enabled, consecutive_failures, disabled_reason FROM webhook_endpoints WHERE id = %s", (endpoint["id"],)
    ).fetchall()
    assert (enabled, failures) == (False, 3) and "3 deliveries" in reason
    [(title, data)] = pg.execute(
        "SELECT title, data FROM notifications WHERE shop_id = %s AND kind = 'outbound_webhooks.disabled'", (shop.id,)
    ).fetchall()
    assert receiver.url in title and "vypnut" in data["title_cs"]
    # a disabled endpoint gets nothing new, and cannot be replayed to
    assert await publish(shop.id, [("snapshot.finished", {"run_id": 9})]) == []
    assert_problem(await api.post(f"/api/shops/{shop.id}/webhook-endpoints/{endpoint['id']}/deliveries/{ids[0]}/replay"), 409)
    # switched on again: a fresh run
    patched = await api.patch(f"/api/shops/{shop.id}/webhook-endpoints/{endpoint['id']}", json={"enabled": True})
    assert patched.json()["enabled"] and patched.json()["consecutive_failures"] == 0


async def test_a_received_purchase_order_and_a_ping_are_delivered(
    api: httpx.AsyncClient, make_user: Any, make_shop: Any, pg: Any, worker: Any, receiver: Receiver
) -> None:
    import json

    shop = make_shop("Purchase order webhooks")
    await _manager(api, make_user, shop.id)
    endpoint = await _register(api, shop.id, receiver.url, ["purchase_order.received"])
    pg.execute("INSERT INTO variants (shop_id, code, product_guid, name) VALUES (%s, 'HRN-1', gen_random_uuid(), 'Hrnek')", (shop.id,))
    supplier = pg.execute("INSERT INTO suppliers (shop_id, name) VALUES (%s, 'Dodavatel') RETURNING id", (shop.id,)).fetchone()[0]
    order = await api.post(
        f"/api/shops/{shop.id}/purchase-orders",
        json={"supplier_id": supplier, "lines": [{"variant_code": "HRN-1", "quantity": "3", "unit_price": "10"}]},
    )
    assert order.status_code in (200, 201), order.text
    created = order.json()
    order_id = created["items"][0]["id"]
    received = await api.post(f"/api/shops/{shop.id}/purchase-orders/{order_id}/receive")
    assert received.status_code == 200, received.text
    ping = await api.post(f"/api/shops/{shop.id}/webhook-endpoints/{endpoint['id']}/ping")
    assert ping.status_code == 202
    ids = [r[0] for r in pg.execute("SELECT id FROM webhook_deliveries WHERE endpoint_id = %s", (endpoint["id"],)).fetchall()]
    assert len(ids) == 2
    await _finished(pg, ids)
    types = sorted(json.loads(r.body)["type"] for r in receiver.received)
    assert types == ["ping", "purchase_order.received"]
    body = next(json.loads(r.body) for r in receiver.received if json.loads(r.body)["type"] != "ping")
    assert body["data"]["purchase_order_id"] == order_id and body["shop_id"] == shop.id


async def test_private_targets_are_refused_outside_development_and_input_is_checked(
    api: httpx.AsyncClient, make_user: Any, make_shop: Any
) -> None:
    shop = make_shop("SSRF shop")
    await _manager(api, make_user, shop.id)
    base = f"/api/shops/{shop.id}/webhook-endpoints"
    with app_env(OUTBOUND_WEBHOOK_ALLOW_PRIVATE="false"):
        for url in ("http://127.0.0.1:9/x", "http://10.1.2.3/x", "http://[::1]/x", "http://169.254.169.254/latest",
                    "http://localhost/x", "http://[::ffff:127.0.0.1]/x"):
            assert_problem(await api.post(base, json={"url": url, "events": ["order.created"]}), 422)
    for body in ({"url": "ftp://example.com/x", "events": ["order.created"]},
                 {"url": "http://user:pw@example.com/x", "events": ["order.created"]},
                 {"url": "https://example.com/x", "events": ["orders.deleted"]},
                 {"url": "https://example.com/x", "events": []}):
        assert_problem(await api.post(base, json=body), 422)
    assert_problem(await api.get(f"{base}/999999/deliveries"), 404)


async def test_a_delivery_recorded_while_temporal_was_down_is_started_by_the_sweep(
    api: httpx.AsyncClient, make_user: Any, make_shop: Any, pg: Any, worker: Any, receiver: Receiver
) -> None:
    from db.engine import session_scope
    from infra.outbound_webhooks.events import record_events, start_pending

    shop = make_shop("Outbox shop")
    await _manager(api, make_user, shop.id)
    await _register(api, shop.id, receiver.url, ["order.changed"])
    async with session_scope() as session:  # recorded, but no workflow was started
        ids = await record_events(session, shop.id, [("order.changed", {"code": "X"})])
    pg.execute("UPDATE webhook_deliveries SET created_at = now() - interval '5 minutes' WHERE id = ANY(%s)", (ids,))
    with app_env(**FAST):
        assert await start_pending() >= 1
        assert await start_pending() == 0  # started once: the workflow id is the delivery's
    [(_, status, attempts, _)] = await _finished(pg, ids)
    assert (status, attempts) == ("delivered", 1)
