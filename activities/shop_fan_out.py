"""The plan step of a nightly fan-out (workflows.shop_fan_out): which shops, how many at once."""

from __future__ import annotations

from sqlalchemy import text

from db.app_settings import get_setting
from db.engine import session_scope
from workflows.shop_fan_out import NightlyPlan


async def nightly_plan(shop_ids: list[int] | None, parallel_setting: str) -> NightlyPlan:
    """The given shops, or every active shop, and the app-wide setting `parallel_setting`."""
    async with session_scope() as session:
        if shop_ids is None:
            rows = await session.execute(
                text("SELECT id FROM shops WHERE status = 'active' ORDER BY id")
            )
            shop_ids = [r[0] for r in rows]
        parallel = int(await get_setting(session, parallel_setting))
    return NightlyPlan(shop_ids=list(shop_ids), parallel=parallel)
