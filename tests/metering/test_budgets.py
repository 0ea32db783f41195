"""The meter and the daily budget: refused at 100 % and counted, through again the next day,
one warning at 80 %; admins set budgets, members read usage."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, text

from db import metering
from db.engine import session_scope
from db.models import Notification, UsageDay
from tests.support import TEST_NOW, MakeShop, MakeUser, assert_problem, login


async def _budget(shop_id: int, kind: str, limit: int | None) -> None:
    async with session_scope() as session:
        await metering.set_budget(session, shop_id, kind, limit)


async def _notes(shop_id: int, kind: str) -> list[Notification]:
    async with session_scope() as session:
        rows = await session.execute(
            select(Notification).where(Notification.shop_id == shop_id, Notification.kind == kind)
        )
        return list(rows.scalars())


async def test_budget_stops_at_100_percent_and_resets_the_next_day(make_shop: MakeShop) -> None:
    shop = make_shop()
    await _budget(shop.id, metering.EMAILS, 5)
    for i in range(5):
        charged = await metering.charge(shop.id, metering.EMAILS, at=TEST_NOW)
        assert charged.used == i + 1 and charged.limit == 5
    refusals = []
    for _ in range(3):
        with pytest.raises(metering.BudgetExceeded) as refused:
            await metering.charge(shop.id, metering.EMAILS, at=TEST_NOW)
        refusals.append(refused.value)
    assert {(r.used, r.limit) for r in refusals} == {(5, 5)}
    counters = await metering.live_counters(shop.id, metering.usage_day(TEST_NOW))
    assert counters[metering.EMAILS] == (5, 3)

    tomorrow = TEST_NOW + timedelta(days=1)
    assert (await metering.charge(shop.id, metering.EMAILS, at=tomorrow)).used == 1

    warnings = await _notes(shop.id, "usage.warning")
    assert len(warnings) == 1  # 4 of 5 crossed 80 % once; the later calls did not warn again
    assert warnings[0].data["used"] == 4 and warnings[0].data["limit"] == 5
    exhausted = await _notes(shop.id, "usage.exhausted")
    assert len(exhausted) == 1 and exhausted[0].level == "critical"  # 3 refusals, one message

    assert await metering.flush_usage() >= 2
    async with session_scope() as session:
        days = {
            (r.day, r.used, r.refused)
            for r in (
                await session.execute(select(UsageDay).where(UsageDay.shop_id == shop.id))
            ).scalars()
        }
    assert days == {
        (metering.usage_day(TEST_NOW), 5, 3),
        (metering.usage_day(tomorrow), 1, 0),
    }


async def test_no_budget_counts_without_limit(make_shop: MakeShop) -> None:
    shop = make_shop()
    for _ in range(3):
        await metering.charge(shop.id, metering.SHOPTET_CALLS, at=TEST_NOW)
    charged = await metering.charge(shop.id, metering.SHOPTET_CALLS, 7, at=TEST_NOW)
    assert charged.used == 10 and charged.limit is None


async def test_forced_charge_records_use_beyond_the_budget(make_shop: MakeShop) -> None:
    shop = make_shop()
    await _budget(shop.id, metering.AI_TOKENS, 100)
    await metering.charge(shop.id, metering.AI_TOKENS, 0, at=TEST_NOW)  # may start
    assert (await metering.charge(shop.id, metering.AI_TOKENS, 150, force=True, at=TEST_NOW)).used == 150
    with pytest.raises(metering.BudgetExceeded):
        await metering.charge(shop.id, metering.AI_TOKENS, 0, at=TEST_NOW)


async def test_usage_and_budget_api(
    api: httpx.AsyncClient, make_shop: MakeShop, make_user: MakeUser
) -> None:
    shop = make_shop()
    member, password = make_user(shops={shop.id: "owner"})
    await login(api, member.email, password)
    refused = await api.put(f"/api/shops/{shop.id}/usage/budgets/emails", json={"daily_limit": 3})
    assert_problem(refused, 403)

    admin, admin_password = make_user(role="admin")
    await login(api, admin.email, admin_password)
    assert_problem(
        await api.put(f"/api/shops/{shop.id}/usage/budgets/bitcoins", json={"daily_limit": 3}), 404
    )
    assert_problem(
        await api.put(f"/api/shops/{shop.id}/usage/budgets/emails", json={"daily_limit": -1}), 422
    )
    ok = await api.put(f"/api/shops/{shop.id}/usage/budgets/emails", json={"daily_limit": 3})
    assert ok.status_code == 204, ok.text
    await metering.charge(shop.id, metering.EMAILS)
    await metering.charge(shop.id, metering.EMAILS)

    await login(api, member.email, password)
    usage = (await api.get(f"/api/shops/{shop.id}/usage")).json()
    today = [u for u in usage if u["kind"] == "emails" and u["day"] == metering.usage_day().isoformat()]
    assert today == [{"kind": "emails", "day": metering.usage_day().isoformat(), "used": 2,
                      "refused": 0, "limit": 3, "share": 0.6667}]
    assert_problem(await api.get("/api/usage"), 403)

    await login(api, admin.email, admin_password)
    everyone = (await api.get("/api/usage")).json()
    assert any(s["shop_id"] == shop.id for s in everyone)
    removed = await api.put(f"/api/shops/{shop.id}/usage/budgets/emails", json={"daily_limit": None})
    assert removed.status_code == 204
    async with session_scope() as session:
        left = await session.scalar(
            text("SELECT count(*) FROM usage_budgets WHERE shop_id = :s"), {"s": shop.id}
        )
    assert left == 0


async def test_flush_workflow_copies_counters(make_shop: MakeShop, worker: object) -> None:
    from infra.temporal_client import connect
    from tests.notifications.harness import record_history
    from workflows.metering import UsageFlushWorkflow
    from workflows.queues import Queue

    shop = make_shop()
    await metering.charge(shop.id, metering.WEBHOOK_DELIVERIES, 4, at=TEST_NOW)
    client = await connect()
    handle = await client.start_workflow(
        UsageFlushWorkflow.run, id=f"test:usage-flush:{shop.id}",
        task_queue=Queue.NOTIFICATIONS.value,
    )
    assert await handle.result() >= 1
    await record_history(handle, "usage_flush")
    async with session_scope() as session:
        used = await session.scalar(
            select(UsageDay.used).where(
                UsageDay.shop_id == shop.id, UsageDay.kind == metering.WEBHOOK_DELIVERIES
            )
        )
    assert used == 4
