"""Notifications reach e-mail and Slack by each user's preferences; repeats are counted, not
re-sent; a flood becomes one digest. The SMTP server and the Slack webhook are local."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import func, select

from db.engine import session_scope
from db.models import Notification, NotificationDelivery
from tests.notifications.harness import deliver, raise_note
from tests.outbound import local_http, local_smtp
from tests.support import TEST_NOW, MakeShop, MakeUser, app_env, assert_problem, login


async def _prefer(api: httpx.AsyncClient, rules: list[dict[str, object]], **extra: object) -> None:
    response = await api.put("/api/notifications/preferences", json={"rules": rules, **extra})
    assert response.status_code == 200, response.text


def _to(box_received: list, email: str) -> list:  # type: ignore[type-arg]
    return [m for rcpts, m in box_received if email in rcpts]


async def _statuses(user_id: int) -> dict[str, int]:
    async with session_scope() as session:
        rows = await session.execute(
            select(NotificationDelivery.status, func.count())
            .where(NotificationDelivery.user_id == user_id)
            .group_by(NotificationDelivery.status)
        )
        return {status: n for status, n in rows}


async def test_repeats_are_counted_not_resent(
    api: httpx.AsyncClient, make_shop: MakeShop, make_user: MakeUser, worker: object
) -> None:
    shop = make_shop()
    user, password = make_user(shops={shop.id: "owner"})
    await login(api, user.email, password)
    await _prefer(api, [{"kind": "snapshot.", "min_level": "warning", "channels": ["in_app", "email"]}])
    for i in range(5):
        await raise_note(shop.id, TEST_NOW + timedelta(minutes=i), key="orders:run-7")
    async with session_scope() as session:
        rows = (
            await session.execute(select(Notification).where(Notification.shop_id == shop.id))
        ).scalars().all()
    assert [(r.repeats, r.dedup_key) for r in rows] == [(5, "orders:run-7")]
    listed = (await api.get("/api/notifications")).json()["items"]
    assert [n["repeats"] for n in listed if n["shop_id"] == shop.id] == [5]

    with local_smtp() as box:
        await deliver(TEST_NOW + timedelta(minutes=5), record="notification_delivery")
    mine = _to(box.received, user.email)
    assert len(mine) == 1
    assert "(×5)" in mine[0]["Subject"] and "Snímek 0" in mine[0]["Subject"]  # Czech user
    assert await _statuses(user.id) == {"sent": 1}

    # past the window the same key is news again
    await raise_note(shop.id, TEST_NOW + timedelta(hours=3), key="orders:run-7")
    async with session_scope() as session:
        count = await session.scalar(
            select(func.count()).select_from(Notification).where(Notification.shop_id == shop.id)
        )
    assert count == 2


async def test_a_flood_becomes_one_digest(
    api: httpx.AsyncClient, make_shop: MakeShop, make_user: MakeUser, worker: object
) -> None:
    shop = make_shop()
    user, password = make_user(shops={shop.id: "viewer"})
    await login(api, user.email, password)
    await _prefer(api, [{"kind": "*", "min_level": "info", "channels": ["email"]}])
    at = TEST_NOW + timedelta(days=2)
    for i in range(25):
        await raise_note(shop.id, at, n=i)
    with app_env(NOTIFY_DIGEST_AFTER="10"), local_smtp() as box:
        first = await deliver(at)
        for i in range(3):  # three more in the same window: 1 digest + 3 fit under 10
            await raise_note(shop.id, at, n=100 + i)
        second = await deliver(at + timedelta(minutes=1))
    mine = _to(box.received, user.email)
    assert len(mine) == 4
    digest = mine[0]
    assert "25" in digest["Subject"] and "Přehled" in digest["Subject"]
    body = digest.get_content()
    assert "Snímek 0 skončil" in body and "… a 5 dalších" in body  # 20 listed, 5 counted
    assert [m["Subject"] for m in mine[1:]] == [
        f"[shopops] Snímek {100 + i} skončil s odmítnutými řádky" for i in range(3)
    ]
    assert first.digests >= 1 and second.sent >= 3
    assert await _statuses(user.id) == {"digested": 25, "sent": 3}


async def test_slack_webhook_and_levels(
    api: httpx.AsyncClient, make_shop: MakeShop, make_user: MakeUser, worker: object
) -> None:
    shop = make_shop()
    user, password = make_user(shops={shop.id: "manager"})
    with local_http(lambda path, body: (200, {"ok": True})) as slack:
        await login(api, user.email, password)
        await _prefer(
            api,
            [{"kind": "*", "min_level": "critical", "channels": ["in_app", "slack"]}],
            slack_webhook_url=f"{slack.url}/services/T000/B000/XXX",
        )
        prefs = (await api.get("/api/notifications/preferences")).json()
        assert prefs["slack_webhook_set"] is True and "slack" in prefs["channels"]
        assert "XXX" not in str(prefs)  # the webhook is a secret: never read back
        at = TEST_NOW + timedelta(days=4)
        await raise_note(shop.id, at, n=1, level="warning")  # below the rule's level: in-app only
        await raise_note(shop.id, at, n=2, level="critical")
        await deliver(at)
    assert len(slack.requests) >= 1
    mine = [r for r in slack.requests if r[0] == "/services/T000/B000/XXX"]
    assert len(mine) == 1
    assert mine[0][2] == {"text": "Snímek 2 skončil s odmítnutými řádky"}
    assert await _statuses(user.id) == {"sent": 1}


async def test_preferences_reject_bad_input(
    api: httpx.AsyncClient, make_user: MakeUser
) -> None:
    user, password = make_user()
    await login(api, user.email, password)
    url = "/api/notifications/preferences"
    for rules in (
        [{"kind": "nonsense.kind", "channels": ["email"]}],
        [{"kind": "*", "min_level": "loud", "channels": ["email"]}],
        [{"kind": "*", "channels": ["pigeon"]}],
        [{"kind": "*", "channels": ["email"]}, {"kind": "*", "channels": ["slack"]}],
    ):
        assert_problem(await api.put(url, json={"rules": rules}), 422)
    assert_problem(await api.put(url, json={"rules": [], "slack_webhook_url": "not a url"}), 422)
    ok = await api.put(url, json={"rules": [{"kind": "inventory.", "channels": ["email"]}]})
    assert ok.status_code == 200 and ok.json()["rules"] == [
        {"kind": "inventory.", "min_level": "info", "channels": ["email"]}
    ]
