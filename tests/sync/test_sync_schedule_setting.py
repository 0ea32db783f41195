"""Changing the sync interval on the settings page reschedules the shop's syncs at once."""

from __future__ import annotations

from datetime import timedelta

import httpx

from api.services.sync import ensure_sync_schedules
from db.engine import session_scope
from infra.temporal_client import connect
from tests.support import MakeShop, MakeUser, login
from workflows.sync import sync_id


async def test_interval_setting_updates_the_schedules(api: httpx.AsyncClient, temporal_env: object, make_shop: MakeShop, make_user: MakeUser) -> None:
    shop = make_shop()
    client = await connect()
    async with session_scope() as session:
        await ensure_sync_schedules(client, session, shop.id)
    user, password = make_user(shops={shop.id: "manager"})
    await login(api, user.email, password)
    answer = await api.put(f"/api/shops/{shop.id}/settings", json={"sync.interval_minutes": 7})
    assert answer.status_code == 200, answer.text
    for resource in ("orders", "products", "customers", "stock"):
        desc = await client.get_schedule_handle(sync_id(shop.id, resource)).describe()
        assert desc.schedule.spec.intervals[0].every == timedelta(minutes=7)
        await client.get_schedule_handle(sync_id(shop.id, resource)).delete()
