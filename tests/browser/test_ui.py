"""Browser tests: headless Chromium (Debian's, through playwright-core) against a running system.

One pytest test per scenario file under ui/e2e. A scenario that cannot run — an endpoint it
needs is not in the API, or node skipped it for any reason — fails: a skip once hid a page
whose route was missing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.browser.system import (
    CHROMIUM,
    System,
    chromium_problem,
    ensure_ui_built,
    run_node_tests,
    running_system,
)

ORDERS = 100_000

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
async def system(temporal_env: object) -> AsyncIterator[System]:
    if problem := chromium_problem():
        pytest.fail(problem)
    await asyncio.to_thread(ensure_ui_built)
    async with running_system(orders=ORDERS) as running:
        yield running


async def _scenario(system: System, test_file: str) -> None:
    result = await asyncio.to_thread(run_node_tests, system, test_file)
    logs = f"\n(API and worker logs in {system.logs}; browser: {CHROMIUM})"
    assert result.returncode == 0 and result.failed == 0, result.output[-6000:] + logs
    for line in result.output.splitlines():
        if line.startswith("# \\# "):  # what a scenario logged (figures, error texts)
            print(line.removeprefix("# \\# "))
    assert not result.skipped and not result.skip_reasons, (
        "a scenario did not run: " + "; ".join(dict.fromkeys(result.skip_reasons)) + logs
    )
    assert result.passed > 0, result.output[-3000:]


async def test_shop_b_is_unreachable_for_a_user_of_shop_a(system: System) -> None:
    await _scenario(system, "scoping.test.mjs")


async def test_main_pages_render_and_are_screenshotted(system: System) -> None:
    await _scenario(system, "pages.test.mjs")


async def test_scroll_100k_orders_to_the_end_with_cursor_pages_and_bounded_dom(
    system: System,
) -> None:
    await _scenario(system, "orders.test.mjs")


async def test_start_snapshot_watch_progress_and_retry_failed_run(system: System) -> None:
    await _scenario(system, "snapshots.test.mjs")
