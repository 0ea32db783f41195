"""Durations and counts: Prometheus histograms for `/metrics`, OpenTelemetry instruments for the
configured exporter, and minute buckets in PostgreSQL for the monitoring page, fed by one call.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import metrics as otel_metrics
from prometheus_client import Counter, Gauge, Histogram

from db.telemetry_store import BUCKETS_MS, STORE

BUCKETS_S = tuple(b / 1000 for b in BUCKETS_MS)

HTTP = Histogram(
    "shopops_http_request_duration_seconds",
    "API request duration by route template",
    ["method", "route", "status"],
    buckets=BUCKETS_S,
)
ACTIVITY = Histogram(
    "shopops_activity_duration_seconds",
    "Temporal activity execution time (one attempt)",
    ["activity", "queue", "outcome"],
    buckets=BUCKETS_S,
)
SQL = Histogram(
    "shopops_sql_duration_seconds",
    "SQL statement time by statement kind and table",
    ["statement"],
    buckets=BUCKETS_S,
)
ERRORS = Counter("shopops_errors", "Captured exceptions", ["source", "type"])
CHECK_STATE = Gauge(
    "shopops_check_state", "Monitoring check state: 0 ok, 1 warn, 2 critical, -1 unavailable", ["check", "part"]
)
CHECK_VALUE = Gauge("shopops_check_value", "The figure a monitoring check compares", ["check", "part"])

_HISTOGRAMS: dict[str, tuple[Histogram, tuple[str, ...]]] = {
    "http": (HTTP, ("method", "route", "status")),
    "activity": (ACTIVITY, ("activity", "queue", "outcome")),
    "sql": (SQL, ("statement",)),
}
_otel: dict[str, Any] = {}


def enable_otel_metrics() -> None:
    """Create the OpenTelemetry histograms on the global meter provider (after it is configured)."""
    meter = otel_metrics.get_meter("shopops")
    for kind in _HISTOGRAMS:
        _otel[kind] = meter.create_histogram(f"shopops.{kind}.duration", unit="ms")


def observe(kind: str, name: str, ms: float, **labels: str) -> None:
    """One duration of series `name` (route, activity type, statement) in all three sinks."""
    histogram, label_names = _HISTOGRAMS[kind]
    histogram.labels(*(labels[k] for k in label_names)).observe(ms / 1000)
    STORE.record_latency(kind, name, ms)
    if kind in _otel:
        _otel[kind].record(ms, labels)

# A worker publishes the backlog of the task queues it polls (Temporal's DescribeTaskQueue);
# an HPA scales the queue's Deployment on it through prometheus-adapter (infra/deploy/k8s).
QUEUE_BACKLOG = Gauge(
    "shopops_task_queue_backlog",
    "Approximate tasks waiting in a Temporal task queue",
    ["queue", "kind"],
)
