"""Browser tests of the Inventory page (issue 16, items 1 and 2) on a simulated shop whose
variant codes hold "/", planned by the real InventoryWorkflow in the system's worker."""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import AsyncIterator

import psycopg
import pytest

from db.engine import libpq_url
from tests.browser.system import (
    System,
    _db,
    chromium_problem,
    ensure_ui_built,
    make_account,
    make_shop,
    running_system,
)
from tests.browser.test_ui import _scenario
from tests.inventory.seed import copy_shop, simulate_shop, yesterday

pytestmark = pytest.mark.timeout(600)
VARIANTS = 40
DAYS = 400


def _seed_inventory_shop() -> dict[str, object]:
    """A shop with 400 days of simulated sales, stock and offers; Shoptet-style codes with '/'."""
    sim = simulate_shop(VARIANTS, DAYS, yesterday(), 21)
    sim = dataclasses.replace(sim, codes=[f"TRIKO/{j:03d}/M" for j in range(VARIANTS)])
    with _db() as session:
        shop_id = make_shop(session, "Triko e-shop", 880_000 + os.getpid() % 100_000)
        account = make_account(session, memberships={shop_id: "manager"})
    with psycopg.connect(libpq_url(os.environ["DATABASE_URL"])) as conn:
        copy_shop(conn, shop_id, sim, archive_days=None)
        conn.commit()
        conn.execute("ANALYZE")
        conn.commit()
    return {"id": shop_id, "email": account.email, "password": account.password}


@pytest.fixture(scope="module")
async def system(temporal_env: object) -> AsyncIterator[System]:
    if problem := chromium_problem():
        pytest.fail(problem)
    await asyncio.to_thread(ensure_ui_built)
    async with running_system(orders=1000) as running:
        running.shops["inventory"] = await asyncio.to_thread(_seed_inventory_shop)
        yield running


async def test_plan_now_refreshes_the_page_and_forecasts_open_for_codes_with_a_slash(
    system: System,
) -> None:
    await _scenario(system, "inventory.test.mjs")
