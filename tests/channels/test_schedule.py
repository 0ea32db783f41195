"""Scheduled channel sync: connecting a store creates its Temporal schedule (the connection's
interval, runs of ChannelSyncWorkflow carrying the `Channel` search attribute), settings update
it (interval, stock push; keys write-only), disconnecting deletes it."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import httpx
import psycopg
import pytest
from temporalio.client import ScheduleActionStartWorkflow
from temporalio.service import RPCError

from infra.temporal_client import connect
from tests.support import MakeShop, MakeUser, assert_problem, login
from workflows import search_attributes

# connecting a store creates its Temporal schedule: the tests need the Temporal server
pytestmark = pytest.mark.usefixtures("temporal_env")

WOO = {
    "kind": "woocommerce", "name": "Woo e-shop", "base_url": "https://sched.example.cz/",
    "consumer_key": "ck_live_1234567890abcd", "consumer_secret": "cs_live_secret_0987654321",
    "sync_interval_minutes": 30,
}  # fmt: skip


async def test_a_connection_has_a_schedule_that_follows_its_settings(
    api: httpx.AsyncClient, make_user: MakeUser, make_shop: MakeShop, database_url: str
) -> None:
    shop = make_shop()
    user, password = make_user(shops={shop.id: "owner"})
    await login(api, user.email, password)
    added = await api.post(f"/api/shops/{shop.id}/channels", json=WOO)
    assert added.status_code == 201, added.text
    body = added.json()
    cid = body["id"]
    assert body["sync_interval_minutes"] == 30 and body["stock_push_enabled"] is True
    schedule_id = body["schedule_id"]
    assert schedule_id == f"channels:{shop.id}:{cid}:schedule"

    client = await connect()
    handle = client.get_schedule_handle(schedule_id)
    try:
        desc = await handle.describe()
        action = desc.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        assert action.workflow == "ChannelSyncWorkflow"
        assert action.id == f"channels:{shop.id}:{cid}:sync"
        assert action.task_queue == "shopops-sync"
        attrs = action.typed_search_attributes
        assert attrs.get(search_attributes.CHANNEL) == "woocommerce"
        assert attrs.get(search_attributes.SHOP_ID) == shop.id
        assert attrs.get(search_attributes.RUN_KIND) == "channel-sync"
        assert [i.every for i in desc.schedule.spec.intervals] == [timedelta(minutes=30)]

        # settings: a new interval, stock push off, a new secret (write-only)
        changed = await api.patch(
            f"/api/shops/{shop.id}/channels/{cid}",
            json={"sync_interval_minutes": 60, "stock_push_enabled": False,
                  "consumer_secret": "cs_live_rotated_secret_1"},
        )  # fmt: skip
        assert changed.status_code == 200, changed.text
        assert "consumer_secret" not in changed.json()
        assert changed.json()["stock_push_enabled"] is False
        desc = await handle.describe()
        assert [i.every for i in desc.schedule.spec.intervals] == [timedelta(minutes=60)]
        action = desc.schedule.action
        assert isinstance(action, ScheduleActionStartWorkflow)
        [arg] = action.args
        assert b'"push_stock":false' in arg.data.replace(b" ", b"")
        with psycopg.connect(database_url.replace("+psycopg", "")) as pg:
            row = pg.execute(
                "SELECT consumer_secret FROM channel_connections WHERE id = %s", (cid,)
            ).fetchone()
        assert row is not None and "rotated" not in row[0]  # encrypted at rest

        too_often = await api.patch(
            f"/api/shops/{shop.id}/channels/{cid}", json={"sync_interval_minutes": 1}
        )
        assert_problem(too_often, 422)

        removed = await api.delete(f"/api/shops/{shop.id}/channels/{cid}")
        assert removed.status_code == 204
        with pytest.raises(RPCError):  # the schedule is gone
            await handle.describe()
    finally:
        with contextlib.suppress(RPCError):  # already deleted by the test
            await handle.delete()
