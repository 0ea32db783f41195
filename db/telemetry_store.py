"""Per-process buffers of durations, errors and cache counters, flushed to PostgreSQL every few
seconds, so the monitoring page sees every API and worker process, not only the one answering.

Recording is a dict update under a lock (no I/O on the request path). A daemon thread upserts
the buffers into `monitoring_latency_minutes`, `monitoring_errors` and
`monitoring_error_minutes` on its own connection; concurrent processes add into the same
minute rows. Monitoring is best effort: a flush that fails is logged and dropped, it never
fails the work being measured.
"""

from __future__ import annotations

import atexit
import contextvars
import logging
import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg

from db.errors import ErrorSignature

log = logging.getLogger(__name__)

# Upper bounds (ms) of the histogram buckets; one more bucket counts everything above the last.
BUCKETS_MS: tuple[float, ...] = (
    1, 2, 5, 10, 20, 50, 100, 200, 300, 500, 750, 1000, 2000, 5000, 10000, 30000, 60000, 300000,
)
FLUSH_SECONDS = 5.0

# Set while our own bookkeeping runs, so the SQL instrumentation does not measure the flusher.
SUPPRESSED: contextvars.ContextVar[bool] = contextvars.ContextVar("telemetry_suppressed", default=False)


@contextmanager
def suppressed() -> Iterator[None]:
    token = SUPPRESSED.set(True)
    try:
        yield
    finally:
        SUPPRESSED.reset(token)


def minute_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


@dataclass
class Series:
    count: int = 0
    sum_ms: float = 0.0
    max_ms: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(BUCKETS_MS) + 1))

    def add(self, ms: float, count: int = 1) -> None:
        self.count += count
        self.sum_ms += ms * count
        self.max_ms = max(self.max_ms, ms)
        self.buckets[bisect_left(BUCKETS_MS, ms)] += count


@dataclass
class ErrorTally:
    sig: ErrorSignature
    source: str
    count: int
    first_seen: datetime
    last_seen: datetime
    trace_id: str | None
    context: dict[str, Any]


def quantile(buckets: list[int], q: float) -> float | None:
    """The q-quantile (0..1) of a bucketed histogram, interpolated inside its bucket (ms)."""
    total = sum(buckets)
    if not total:
        return None
    rank = q * total
    seen = 0
    for i, n in enumerate(buckets):
        if n and seen + n >= rank:
            low = BUCKETS_MS[i - 1] if i else 0.0
            high = BUCKETS_MS[i] if i < len(BUCKETS_MS) else BUCKETS_MS[-1] * 2
            return round(low + (high - low) * max(0.0, rank - seen) / n, 2)
        seen += n
    return float(BUCKETS_MS[-1])


def merge_buckets(rows: list[list[int]]) -> list[int]:
    out = [0] * (len(BUCKETS_MS) + 1)
    for buckets in rows:
        for i, n in enumerate(buckets[: len(out)]):
            out[i] += n
    return out


_LATENCY_UPSERT = """
INSERT INTO monitoring_latency_minutes AS t (minute, kind, name, count, sum_ms, max_ms, buckets)
VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (minute, kind, name) DO UPDATE SET
    count = t.count + excluded.count,
    sum_ms = t.sum_ms + excluded.sum_ms,
    max_ms = greatest(t.max_ms, excluded.max_ms),
    buckets = ARRAY(SELECT coalesce(a, 0) + coalesce(b, 0)
                    FROM unnest(t.buckets, excluded.buckets) WITH ORDINALITY AS u(a, b, i) ORDER BY i)
"""

_ERROR_UPSERT = """
INSERT INTO monitoring_errors AS t (fingerprint, source, error_type, message, sample, frames, count,
                                    first_seen, last_seen, last_trace_id, context)
VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s, %s::jsonb)
ON CONFLICT (fingerprint) DO UPDATE SET
    count = t.count + excluded.count,
    source = excluded.source,
    sample = excluded.sample,
    last_seen = greatest(t.last_seen, excluded.last_seen),
    last_trace_id = coalesce(excluded.last_trace_id, t.last_trace_id),
    context = excluded.context
"""

_ERROR_MINUTE_UPSERT = """
INSERT INTO monitoring_error_minutes AS t (minute, fingerprint, count) VALUES (%s, %s, %s)
ON CONFLICT (minute, fingerprint) DO UPDATE SET count = t.count + excluded.count
"""


class TelemetryStore:
    """The buffers of one process and the thread that flushes them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._latency: dict[tuple[datetime, str, str], Series] = {}
        self._errors: dict[str, ErrorTally] = {}
        self._error_minutes: dict[tuple[datetime, str], int] = {}
        self._counter_sources: dict[str, Callable[[], dict[str, int]]] = {}
        self._counter_last: dict[str, int] = {}
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._conn: psycopg.Connection[Any] | None = None
        self._conn_url: str | None = None
        self._last_warning = 0.0
        self.dsn: Callable[[], str] | None = None  # set by whoever configures telemetry

    # ---------------------------------------------------------------- recording

    def record_latency(self, kind: str, name: str, ms: float, at: datetime | None = None) -> None:
        key = (minute_of(at or datetime.now(UTC)), kind, name[:200])
        with self._lock:
            series = self._latency.get(key)
            if series is None:
                series = self._latency[key] = Series()
            series.add(ms)
        self._ensure_thread()

    def record_error(
        self,
        sig: ErrorSignature,
        source: str,
        trace_id: str | None = None,
        context: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> None:
        now = at or datetime.now(UTC)
        with self._lock:
            tally = self._errors.get(sig.fingerprint)
            if tally is None:
                self._errors[sig.fingerprint] = ErrorTally(
                    sig, source, 1, now, now, trace_id, context or {}
                )
            else:
                tally.count += 1
                tally.last_seen = max(tally.last_seen, now)
                tally.trace_id = trace_id or tally.trace_id
                tally.sig, tally.source, tally.context = sig, source, context or tally.context
            key = (minute_of(now), sig.fingerprint)
            self._error_minutes[key] = self._error_minutes.get(key, 0) + 1
        self._ensure_thread()

    def count_source(self, name: str, counters: Callable[[], dict[str, int]]) -> None:
        """Flush the growth of cumulative counters (cache hits/misses) as `cache` series rows."""
        self._counter_sources[name] = counters

    # ---------------------------------------------------------------- flushing

    def _take(self) -> tuple[list[Any], list[Any], list[Any]]:
        now = datetime.now(UTC)
        for source, read in list(self._counter_sources.items()):
            try:
                counters = read()
            except Exception:  # a counter source must never break the flush
                log.exception("telemetry: counter source %s failed", source)
                continue
            for key, value in counters.items():
                slot = f"{source}.{key}"
                delta = value - self._counter_last.get(slot, 0)
                self._counter_last[slot] = value
                if delta > 0:
                    with self._lock:
                        series = self._latency.setdefault((minute_of(now), "cache", slot), Series())
                        series.count += delta
        with self._lock:
            latency, self._latency = self._latency, {}
            errors, self._errors = self._errors, {}
            minutes, self._error_minutes = self._error_minutes, {}
        latency_rows = [
            (m, k, n, s.count, s.sum_ms, s.max_ms, s.buckets)
            for (m, k, n), s in sorted(latency.items())
        ]
        error_rows = [
            (
                fp, t.source, t.sig.error_type, t.sig.message, t.sig.sample,
                orjson.dumps(t.sig.frames).decode(), t.count, t.first_seen, t.last_seen,
                t.trace_id, orjson.dumps(t.context, default=str).decode(),
            )
            for fp, t in sorted(errors.items())
        ]
        minute_rows = [(m, fp, n) for (m, fp), n in sorted(minutes.items())]
        return latency_rows, error_rows, minute_rows

    def flush(self, quiet: bool = False) -> int:
        """Write everything buffered so far; returns the number of rows written (0 on failure)."""
        with self._flush_lock, suppressed():
            latency_rows, error_rows, minute_rows = self._take()
            if self.dsn is None:  # telemetry not set up in this process (a CLI command): nowhere to go
                return 0
            if not (latency_rows or error_rows or minute_rows):
                return 0
            try:
                conn = self._connection()
                with conn.cursor() as cur:
                    if latency_rows:
                        cur.executemany(_LATENCY_UPSERT, latency_rows)
                    if error_rows:
                        cur.executemany(_ERROR_UPSERT, error_rows)
                    if minute_rows:
                        cur.executemany(_ERROR_MINUTE_UPSERT, minute_rows)
            except (psycopg.Error, OSError) as exc:
                self._drop_connection()
                if not quiet and time.monotonic() - self._last_warning > 60:
                    self._last_warning = time.monotonic()
                    log.warning("telemetry: could not store monitoring figures (%s); dropped", exc)
                return 0
            return len(latency_rows) + len(error_rows) + len(minute_rows)

    def _connection(self) -> psycopg.Connection[Any]:
        assert self.dsn is not None
        url = self.dsn()
        if self._conn is None or self._conn.closed or url != self._conn_url:
            self._drop_connection()
            self._conn = psycopg.connect(url, autocommit=True, connect_timeout=5)
            self._conn_url = url
        return self._conn

    def _drop_connection(self) -> None:
        if self._conn is not None:
            with suppress(psycopg.Error):
                self._conn.close()
        self._conn = None

    def close(self) -> None:
        """Flush what is buffered, stop the flusher thread and close its connection.

        For a process about to lose its database (shutdown, a test session dropping its
        database): nothing is written afterwards, so no flush meets a vanished database.
        Figures recorded after this stay in memory and are dropped."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread.is_alive():
            thread.join(FLUSH_SECONDS + 10)
        self.flush(quiet=True)
        with self._flush_lock:
            self.dsn = None
            self._drop_connection()

    def _ensure_thread(self) -> None:
        if self._stop.is_set() or (self._thread is not None and self._thread.is_alive()):
            return
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._run, name="telemetry-flush", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            try:
                self.flush()
            except Exception:  # the flusher must outlive any one bad batch
                log.exception("telemetry: flush failed")


STORE = TelemetryStore()
atexit.register(STORE.flush, quiet=True)  # at exit the database (or stderr) may be gone already
