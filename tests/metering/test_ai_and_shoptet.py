"""The AI client and the Shoptet client are metered: tokens the provider reports, one call per
request; both stop when the shop's budget is spent. The AI provider is a local fake."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from activities import ai
from activities.shoptet.client import ShoptetClient
from activities.shoptet.errors import BudgetRefused
from activities.shoptet.tokens import StaticToken
from db import metering
from db.engine import session_scope
from tests.outbound import fake_ai, local_http
from tests.support import TEST_NOW, MakeShop, app_env


async def _budget(shop_id: int, kind: str, limit: int) -> None:
    async with session_scope() as session:
        await metering.set_budget(session, shop_id, kind, limit)


async def test_ai_is_off_by_default(make_shop: MakeShop) -> None:
    with app_env(AI_BASE_URL=""), pytest.raises(ai.AiOff):
        await ai.chat([{"role": "user", "content": "hi"}], shop_id=make_shop().id)


async def test_ai_tokens_are_metered_and_budgeted(make_shop: MakeShop) -> None:
    shop = make_shop()
    await _budget(shop.id, metering.AI_TOKENS, 100)
    with local_http(fake_ai(tokens=(40, 20))) as fake, app_env(
        AI_BASE_URL=f"{fake.url}/v1", AI_API_KEY="sk-test",
        AI_MODEL="tiny",
    ):
        answer = await ai.chat([{"role": "user", "content": "hi"}], shop_id=shop.id, at=TEST_NOW)
        assert answer.total_tokens == 60 and answer.text.startswith("A good week.")
        await ai.chat([{"role": "user", "content": "again"}], shop_id=shop.id, at=TEST_NOW)
        with pytest.raises(metering.BudgetExceeded):  # 120 of 100 used: the third call waits
            await ai.chat([{"role": "user", "content": "more"}], shop_id=shop.id, at=TEST_NOW)
        next_day = await ai.chat(
            [{"role": "user", "content": "tomorrow"}], shop_id=shop.id,
            at=TEST_NOW + timedelta(days=1),
        )
    assert next_day.total_tokens == 60
    assert len(fake.requests) == 3  # the refused call never reached the provider
    path, headers, body = fake.requests[0]
    assert path == "/v1/chat/completions" and headers["Authorization"] == "Bearer sk-test"
    assert body["model"] == "tiny"
    today = await metering.live_counters(shop.id, metering.usage_day(TEST_NOW))
    assert today[metering.AI_TOKENS] == (120, 1)


async def test_shoptet_calls_are_metered_and_stopped(make_shop: MakeShop) -> None:
    shop = make_shop()
    await _budget(shop.id, metering.SHOPTET_CALLS, 3)

    def shoptet(path: str, body: Any) -> tuple[int, Any]:
        return 200, {"data": {"ok": True}, "errors": None}

    with local_http(shoptet) as fake:
        async with ShoptetClient(fake.url, StaticToken("t"), shop_id=shop.id) as client:
            for _ in range(3):
                assert await client.post("/api/ping", json={}) == {"ok": True}
            with pytest.raises(BudgetRefused):
                await client.post("/api/ping", json={})
    assert len(fake.requests) == 3
    today = await metering.live_counters(shop.id, metering.usage_day())
    assert today[metering.SHOPTET_CALLS] == (3, 1)
