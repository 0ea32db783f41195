"""Monitoring tests: an admin client, telemetry set up in this process, and the flushed store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.support import login


@pytest.fixture
async def admin_api(api: httpx.AsyncClient, make_user: Callable[..., Any]) -> httpx.AsyncClient:
    user, password = make_user(role="admin")
    await login(api, user.email, password)
    return api


def check(report: dict[str, Any], name: str) -> dict[str, Any]:
    """One check of a report by name."""
    found = [c for c in report["checks"] if c["name"] == name]
    assert found, f"no check {name} in {[c['name'] for c in report['checks']]}"
    return found[0]
