"""Logging, tracing and metrics shared by the API and the worker.

`setup_telemetry(service)` is called once per process (API app creation, worker start):
JSON logs with trace ids, the tracer provider with the exporter from `OTEL_EXPORTER`,
SQL and Shoptet HTTP instrumentation, and the flusher that stores durations and errors for
the monitoring page. `temporal_interceptors()` is given to every Temporal client
(infra/temporal_client.py), `instrument_app(app)` wraps the FastAPI app.
"""

from __future__ import annotations

from typing import Any

from db.config import get_settings
from db.engine import libpq_url
from db.settings_cache import cache_stats
from db.telemetry_store import STORE
from infra.telemetry.asgi import RequestTelemetry
from infra.telemetry.errors import capture_exception
from infra.telemetry.logs import configure_logging, trace_ids
from infra.telemetry.metrics import observe
from infra.telemetry.sql import instrument_psycopg
from infra.telemetry.tracing import captured_spans, configure_tracing

__all__ = [
    "capture_exception",
    "captured_spans",
    "instrument_app",
    "observe",
    "settings_cache_counters",
    "setup_telemetry",
    "temporal_interceptors",
    "trace_ids",
]


def settings_cache_counters() -> dict[str, int]:
    """Cumulative hits and misses of this process's settings cache, per level."""
    stats = cache_stats()
    return {
        "memory.hit": stats["memory"]["hits"],
        "memory.miss": stats["memory"]["misses"],
        "redis.hit": stats["redis"]["hits"],
        "redis.miss": stats["redis"]["misses"],
    }


def setup_telemetry(service: str) -> None:
    from db import tagged_cache

    settings = get_settings()
    configure_logging(service, settings.log_level)
    configure_tracing(service, settings.otel_exporter, settings.otel_endpoint)
    instrument_psycopg()
    _instrument_httpx()
    STORE.dsn = libpq_url
    STORE.count_source("settings", settings_cache_counters)
    STORE.count_source("api", tagged_cache.counters)


def _instrument_httpx() -> None:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    instrumentor = HTTPXClientInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()


def temporal_interceptors() -> list[Any]:
    from infra.telemetry.interceptors import interceptors

    return interceptors()


def instrument_app(app: Any) -> None:
    """Request spans, latency per route and error capture for every request of the API."""
    app.add_middleware(RequestTelemetry)
