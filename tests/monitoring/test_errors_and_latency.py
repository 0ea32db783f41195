"""A burst of API errors is one fingerprint with its count, last seen and trace id, and a critical
spike; request latency per route template and `/metrics` come from the same measurements."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import psycopg
import pytest

from api.app import create_app
from db.engine import libpq_url
from db.telemetry_store import STORE
from tests.monitoring.conftest import check
from tests.support import assert_problem, login


class InvoiceRenderError(RuntimeError):
    pass


@pytest.fixture
async def app_with_faults() -> AsyncIterator[httpx.AsyncClient]:
    """The real app plus one route that fails the way a bug does (an unhandled exception)."""
    app = create_app()

    async def render_invoice(order: int) -> dict[str, Any]:
        raise InvoiceRenderError(f"template missing for order {order} (token=abc123secret)")

    app.add_api_route("/api/test-faults/invoices/{order}", render_invoice, methods=["POST"])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        yield client
    with psycopg.connect(libpq_url(), autocommit=True) as conn:
        conn.execute("DELETE FROM monitoring_error_minutes; DELETE FROM monitoring_errors")


async def test_a_burst_of_errors_is_one_group_and_a_critical_spike(app_with_faults: httpx.AsyncClient, make_user: Any) -> None:
    user, password = make_user(role="admin")
    await login(app_with_faults, user.email, password)
    answers = await asyncio.gather(*(app_with_faults.post(f"/api/test-faults/invoices/{n}") for n in range(30)))
    assert {a.status_code for a in answers} == {500}
    trace_ids = {a.headers["x-trace-id"] for a in answers}
    assert len(trace_ids) == 30  # every request is its own trace

    body = (await app_with_faults.get("/api/admin/monitoring")).json()
    spike = check(body, "error_rate_spike")
    assert spike["state"] == "critical" and spike["value"] >= 30
    groups = [g for g in body["parts"]["errors"]["groups"] if g["error_type"].endswith("InvoiceRenderError")]
    assert len(groups) == 1, groups
    group = groups[0]
    assert group["total"] == 30 and group["last_24h"] == 30 and group["source"] == "api"
    assert group["message"] == "template missing for order <n> (token=[redacted])"
    assert "abc123secret" not in str(group)
    assert group["last_trace_id"] in trace_ids
    assert group["frames"] == ["tests.monitoring.test_errors_and_latency:render_invoice"]
    assert group["context"]["route"] == "/api/test-faults/invoices/{order}"
    assert body["parts"]["errors"]["groups"][0]["fingerprint"] == group["fingerprint"]  # most frequent first
    assert sum(h["errors"] for h in body["parts"]["errors"]["timeline"]) >= 30


async def test_latency_per_route_template_and_prometheus_metrics(admin_api: httpx.AsyncClient, make_user: Any) -> None:
    for _ in range(25):
        assert (await admin_api.get("/api/shops")).status_code == 200
    await admin_api.get("/api/shops/999999/orders")  # another shop id, the same route template
    body = (await admin_api.get("/api/admin/monitoring")).json()
    routes = {r["name"]: r for r in body["parts"]["performance"]["routes"]}
    shops = routes["GET /api/shops"]
    assert shops["count"] >= 25 and shops["p50_ms"] is not None and shops["p50_ms"] <= shops["p95_ms"] <= shops["p99_ms"]
    assert "GET /api/shops/{shop_id}/orders" in routes
    assert not [name for name in routes if "999999" in name]
    assert body["parts"]["performance"]["sql"], "SQL time per statement is missing"
    assert any(s["name"].startswith("SELECT") for s in body["parts"]["performance"]["sql"])
    assert sum(m["requests"] for m in body["parts"]["performance"]["timeline"]) >= 25

    metrics = await admin_api.get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'shopops_http_request_duration_seconds_count{method="GET",route="/api/shops",status="200"}' in text
    assert "shopops_sql_duration_seconds_bucket" in text

    user, password = make_user()
    await login(admin_api, user.email, password)
    assert_problem(await admin_api.get("/metrics"), 403)
    assert_problem(await admin_api.get("/api/admin/monitoring"), 403)


async def test_figures_from_other_processes_count_too(admin_api: httpx.AsyncClient) -> None:
    """Rows another process flushed into the same minute add up with ours."""
    from datetime import UTC, datetime

    from db.telemetry_store import BUCKETS_MS, minute_of

    minute = minute_of(datetime.now(UTC))
    buckets = [0] * (len(BUCKETS_MS) + 1)
    buckets[9] = 40  # 40 requests in the (300, 500] ms bucket, from a "worker"
    with psycopg.connect(libpq_url(), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO monitoring_latency_minutes (minute, kind, name, count, sum_ms, max_ms, buckets) "
            "VALUES (%s, 'http', 'GET /api/elsewhere', 40, 16000, 480, %s)",
            (minute, buckets),
        )
    STORE.record_latency("http", "GET /api/elsewhere", 350.0)
    body = (await admin_api.get("/api/admin/monitoring")).json()
    elsewhere = next(r for r in body["parts"]["performance"]["routes"] if r["name"] == "GET /api/elsewhere")
    assert elsewhere["count"] == 41 and 300 < elsewhere["p50_ms"] <= 500


async def test_logs_are_json_with_the_trace_id_and_no_secret(admin_api: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]) -> None:
    """A logged exception is one JSON line with the trace id, redacted, and becomes an error group."""
    import json
    import logging

    from opentelemetry import trace

    with trace.get_tracer("test").start_as_current_span("job") as span:
        try:
            raise ConnectionError("shoptet refused password=hunter2 for shop 12")
        except ConnectionError:
            logging.getLogger("shopops.test").exception("sync of shop %s failed (token=%s)", 12, "tok-abcdef")
        trace_id = format(span.get_span_context().trace_id, "032x")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    entry = next(e for e in lines if e["logger"] == "shopops.test")
    assert entry["level"] == "ERROR" and entry["trace_id"] == trace_id
    assert entry["message"] == "sync of shop 12 failed (token=[redacted])"
    assert "hunter2" not in entry["exc"] and "ConnectionError" in entry["exc"]
    groups = (await admin_api.get("/api/admin/monitoring")).json()["parts"]["errors"]["groups"]
    logged = next(g for g in groups if g["error_type"] == "ConnectionError")
    assert logged["message"] == "shoptet refused password=[redacted] for shop <n>" and logged["last_trace_id"] == trace_id


@pytest.fixture
def fresh_cache_counters() -> None:
    """Start the hour's cache counters from zero.

    The check rates every settings read flushed in the last hour by any process; in a session
    that has already run other suites those include their deliberate invalidations (every
    `set_setting` empties each process's memory level), which are not this test's reads. This
    process's counts so far are flushed first, so only reads made from here on are counted."""
    STORE.flush()
    with psycopg.connect(libpq_url(), autocommit=True) as conn:
        conn.execute("DELETE FROM monitoring_latency_minutes WHERE kind = 'cache'")


async def test_settings_cache_hit_rate_comes_from_the_cache_counters(
    admin_api: httpx.AsyncClient, fresh_cache_counters: None
) -> None:
    from db.app_settings import get_setting
    from db.engine import session_scope

    async with session_scope() as session:
        for _ in range(150):
            await get_setting(session, "snapshots.chunk_lines")
    body = (await admin_api.get("/api/admin/monitoring")).json()
    settings = next(c for c in body["parts"]["cache"]["caches"] if c["cache"] == "settings")
    assert settings["reads"] >= 150 and {lv["level"] for lv in settings["levels"]} >= {"memory"}
    rate = check(body, "settings_cache_hit_rate")
    assert rate["state"] == "ok" and rate["value"] >= 90
