"""Structured logs: one JSON object per line, with the trace id, and never a secret.

Every message and traceback passes through `db.errors.redact` before it is written. Records
that carry an exception at ERROR (or a failed workflow activation, which Temporal logs as a
warning) are also captured as errors for the monitoring page.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson
from opentelemetry import trace

from db.errors import redact

# Temporal logs a workflow task that raised (a bug, non-determinism) as a warning with exc_info.
WORKFLOW_TASK_LOGGER = "temporalio.worker._workflow_instance"
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def trace_ids() -> tuple[str | None, str | None]:
    """(trace id, span id) of the current span as hex, or Nones outside any trace."""
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None, None
    return format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        trace_id, span_id = trace_ids()
        if trace_id:
            entry["trace_id"], entry["span_id"] = trace_id, span_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        return orjson.dumps(entry, default=str).decode()


class ErrorCapture(logging.Handler):
    """Logged exceptions become monitoring errors (deduplicated against those captured directly)."""

    def __init__(self, source: str) -> None:
        super().__init__(level=logging.WARNING)
        self.source = source

    def emit(self, record: logging.LogRecord) -> None:
        if not record.exc_info or record.exc_info[1] is None:
            return
        if record.levelno < logging.ERROR and not record.name.startswith(WORKFLOW_TASK_LOGGER):
            return
        from infra.telemetry.errors import capture_exception

        capture_exception(record.exc_info[1], self.source, {"logger": record.name})


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever `sys.stderr` is now (test runners swap it), not the one at set-up."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure_logging(service: str, level: str) -> None:
    """JSON lines on stderr and error capture on the root logger (once per process)."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    if any(isinstance(h, StderrHandler | ErrorCapture) for h in root.handlers):
        return
    stream = StderrHandler()
    stream.setFormatter(JsonFormatter(service))
    capture = ErrorCapture("api" if service.endswith("api") else "worker")
    for handler in (stream, capture):
        root.addHandler(handler)
