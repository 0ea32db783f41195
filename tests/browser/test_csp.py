"""The built UI in headless Chromium under the API's security headers: no Content-Security-Policy
violation on any page, and UI changes pass the CSRF check (ui/e2e/security.test.mjs)."""

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

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
async def system(temporal_env: object) -> AsyncIterator[System]:
    if problem := chromium_problem():
        pytest.fail(problem)
    await asyncio.to_thread(ensure_ui_built)
    async with running_system(orders=200) as running:
        yield running


async def test_no_page_violates_the_csp_and_ui_changes_carry_the_csrf_token(
    system: System,
) -> None:
    result = await asyncio.to_thread(run_node_tests, system, "security.test.mjs")
    logs = f"\n(API and worker logs in {system.logs}; browser: {CHROMIUM})"
    assert result.returncode == 0 and result.failed == 0, result.output[-6000:] + logs
    assert result.passed == 2, result.output[-3000:]
