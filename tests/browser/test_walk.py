"""The merchant's walk (ui/e2e/walk.test.mjs): every page as a merchant and as an admin, in
Czech and in English, on a shop seeded through real snapshot runs and analyses.

Fails on any console error, any response ≥ 400 a scenario does not expect, a page that keeps
requesting while idle (over 30 requests per 10 s), an error state, English left in the Czech
pages, and any walk that cannot run. Screenshots of every page go to .data/screenshots/walk/.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest

from tests.browser.system import (
    CHROMIUM,
    ROOT,
    System,
    chromium_problem,
    ensure_ui_built,
    run_node_tests,
    running_system,
    seed_walk_data,
)

WALK_DIR = ROOT / ".data" / "screenshots" / "walk"
ORDERS = 100_000

pytestmark = pytest.mark.timeout(1800)


@pytest.fixture(scope="module")
async def seeded(temporal_env: object) -> AsyncIterator[System]:
    if problem := chromium_problem():
        pytest.fail(problem)
    await asyncio.to_thread(ensure_ui_built)
    async with running_system(orders=ORDERS) as system:
        system.extra.update(await seed_walk_data(system))
        yield system


async def test_walk_every_page_as_merchant_and_admin_in_czech_and_english(seeded: System) -> None:
    env = {"WALK_DIR": str(WALK_DIR)}
    if "WALK_IDLE_MS" in os.environ:
        env["WALK_IDLE_MS"] = os.environ["WALK_IDLE_MS"]
    result = await asyncio.to_thread(run_node_tests, seeded, "walk.test.mjs", 1700, env)
    for line in result.output.splitlines():
        if line.startswith("# \\# ") or line.startswith("# walk"):
            print(line.removeprefix("# \\# ").removeprefix("# "))
    print(f"screenshots: {WALK_DIR}")
    logs = f"\n(API and worker logs in {seeded.logs}; browser: {CHROMIUM}; screenshots: {WALK_DIR})"
    assert result.returncode == 0 and result.failed == 0, result.output[-12000:] + logs
    assert not result.skipped, "a walk did not run" + logs
    assert result.passed == (1 if os.environ.get("WALK_ONLY") else 4), result.output[-3000:]
