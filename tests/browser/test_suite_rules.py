"""The browser suite's own rules, without a browser: a scenario that cannot run fails.

A fake API serves only an openapi.json; node's test runner runs tiny scenario files (under
ui/e2e/selfcheck, or written by the test where no suite file may hold them) through the same
helpers the real scenarios use.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.browser.system import Account, System, run_node_tests
from tests.browser.test_ui import _scenario

# No scenario of ui/e2e may skip itself, so the one that does is written where the test runs.
SKIPPING_SCENARIO = """import { test } from "node:test";

test("a scenario that skips itself", (t) => {
  t.skip("no data to walk");
});
"""
OPENAPI = {"paths": {"/api/health": {"get": {}}, "/api/shops/{shop_id}/orders": {"get": {}}}}


class _OpenApi(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps(OPENAPI).encode()
        self.send_response(200 if self.path == "/api/openapi.json" else 404)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def fake_api() -> Iterator[System]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OpenApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    nobody = Account("nobody@example.com", "-")
    try:
        yield System(api_url=f"http://127.0.0.1:{server.server_port}", sandbox_url="", member=nobody, admin=nobody)
    finally:
        server.shutdown()


def test_a_scenario_whose_route_is_missing_fails_with_the_route_named(fake_api: System) -> None:
    result = run_node_tests(fake_api, "selfcheck/missing-route.mjs", timeout=60)
    assert result.returncode != 0 and result.failed == 1 and result.skipped == 0, result.output
    assert "GET /api/shops/{shop_id}/no-such-page" in result.output
    assert "GET /api/health," not in result.output  # only what is missing is named


async def test_a_skipped_scenario_fails_the_pytest_side(fake_api: System, tmp_path: Path) -> None:
    skipping = tmp_path / "skipped.mjs"
    skipping.write_text(SKIPPING_SCENARIO)
    result = run_node_tests(fake_api, str(skipping), timeout=60)
    assert result.returncode == 0 and result.skipped == 1 and result.failed == 0, result.output
    # node itself calls a skip a success… the suite does not
    with pytest.raises(AssertionError, match="a scenario did not run: no data to walk"):
        await _scenario(fake_api, str(skipping))


def test_no_scenario_of_the_suite_skips_itself() -> None:
    """A skip call (`t.skip(…)`, `test.skip(…)`, `{ skip: … }`, `todo`) in ui/e2e would hide a
    page the suite never walked; the skipping scenario above lives in a temporary folder."""
    skips = re.compile(r"\.(skip|todo)\s*\(|\b(skip|todo)\s*:")
    e2e = Path(__file__).resolve().parents[2] / "ui" / "e2e"
    found = [
        f"{path.relative_to(e2e)}:{number}: {line.strip()}"
        for path in sorted(e2e.rglob("*.mjs"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if skips.search(line)
    ]
    assert not found, found
