"""GET/PUT /api/settings (admin) and /api/shops/{id}/settings (manager writes), validated with coerce."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from api.services.sync import remove_sync
from db.app_settings import get_setting
from db.engine import session_scope
from infra.temporal_client import connect
from tests.support import MakeShop, MakeUser, assert_problem, login


def _values(body: dict[str, Any]) -> dict[str, Any]:
    return {i["key"]: i["value"] for i in body["items"]}


async def test_admin_reads_and_changes_app_settings(api: httpx.AsyncClient, make_user: MakeUser) -> None:
    admin, password = make_user(role="admin")
    await login(api, admin.email, password)
    listing = (await api.get("/api/settings")).json()
    item = next(i for i in listing["items"] if i["key"] == "backups.retention_days")
    assert item["default"] == 30 and item["type"] == "int" and item["description"]

    response = await api.put("/api/settings", json={"backups.retention_days": "14"})
    assert response.status_code == 200, response.text
    assert _values(response.json())["backups.retention_days"] == 14
    async with session_scope() as session:
        assert await get_setting(session, "backups.retention_days") == 14  # the cache saw it


async def test_bad_values_are_a_422_problem_naming_each_key(
    api: httpx.AsyncClient, make_user: MakeUser
) -> None:
    admin, password = make_user(role="admin")
    await login(api, admin.email, password)
    async with session_scope() as session:
        interval = await get_setting(session, "sync.interval_minutes")
    response = await api.put(
        "/api/settings",
        json={
            "backups.retention_days": 0,
            "cleanup.batch_size": "lots",
            "no.such": 1,
            "sync.interval_minutes": 9,
        },
    )
    body = assert_problem(response, 422)
    assert {e["key"] for e in body["errors"]} == {
        "backups.retention_days",
        "cleanup.batch_size",
        "no.such",
    }
    assert "at least 1" in body["detail"] and "unknown setting 'no.such'" in body["detail"]
    async with session_scope() as session:  # nothing was written, not even the valid key
        assert await get_setting(session, "sync.interval_minutes") == interval


@pytest.fixture
async def scheduled_shop(make_shop: MakeShop, temporal_env: object) -> AsyncIterator[Any]:
    """A shop whose sync schedules, made in Temporal when its interval changes, go with the test
    (left behind they would start a sync of it every few minutes for the rest of the session)."""
    shop = make_shop()
    yield shop
    await remove_sync(await connect(), shop.id)


async def test_shop_settings_need_a_manager_to_change(
    api: httpx.AsyncClient, make_user: MakeUser, make_shop: MakeShop, scheduled_shop: Any
) -> None:
    shop, other = scheduled_shop, make_shop()
    viewer, vpw = make_user(shops={shop.id: "viewer"})
    manager, mpw = make_user(shops={shop.id: "manager"})

    await login(api, viewer.email, vpw)
    listing = (await api.get(f"/api/shops/{shop.id}/settings")).json()
    assert {i["scope"] for i in listing["items"]} == {"shop"}
    assert_problem(
        await api.put(f"/api/shops/{shop.id}/settings", json={"sync.interval_minutes": 2}), 403
    )
    assert_problem(await api.get("/api/settings"), 403)

    await login(api, manager.email, mpw)
    changed = await api.put(f"/api/shops/{shop.id}/settings", json={"sync.interval_minutes": 2})
    assert changed.status_code == 200, changed.text
    item = next(i for i in changed.json()["items"] if i["key"] == "sync.interval_minutes")
    assert item["value"] == 2 and item["overridden"] is True
    app_wide = await api.put(f"/api/shops/{shop.id}/settings", json={"backups.retention_days": 3})
    assert "app-wide" in assert_problem(app_wide, 422)["detail"]
    assert_problem(await api.get(f"/api/shops/{other.id}/settings"), 404)
    async with session_scope() as session:
        assert await get_setting(session, "sync.interval_minutes", shop.id) == 2
        assert await get_setting(session, "sync.interval_minutes", other.id) == await get_setting(
            session, "sync.interval_minutes"
        )


async def test_admin_lists_backups_with_their_verify_state(
    api: httpx.AsyncClient, make_user: MakeUser, db_session: Session
) -> None:
    from db.models import Backup

    db_session.add(
        Backup(
            name="api-listed.dump",
            status="completed",
            storage="dir:x",
            database="x",
            table_counts={"public.orders": 3, "public.shops": 1},
            verify_status="passed",
        )
    )
    db_session.commit()
    member, mpw = make_user()
    await login(api, member.email, mpw)
    assert_problem(await api.get("/api/admin/backups"), 403)
    admin, password = make_user(role="admin")
    await login(api, admin.email, password)
    page = (await api.get("/api/admin/backups", params={"limit": 200})).json()
    listed = next(b for b in page["items"] if b["name"] == "api-listed.dump")
    assert listed["verify_status"] == "passed" and listed["rows"] == 4 and listed["tables"] == 2
