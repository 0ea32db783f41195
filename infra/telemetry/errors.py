"""Capture an exception for the monitoring page: fingerprint, count, last seen, trace id."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from db.errors import signature
from db.telemetry_store import STORE
from infra.telemetry.logs import trace_ids
from infra.telemetry.metrics import ERRORS

_CAPTURED = "__shopops_captured__"


def capture_exception(exc: BaseException, source: str, context: dict[str, Any] | None = None) -> str | None:
    """Record `exc` once (a re-raise or its log line does not count twice); returns its fingerprint."""
    if getattr(exc, _CAPTURED, False):
        return None
    with suppress(AttributeError, TypeError):  # exceptions with __slots__ cannot be marked
        setattr(exc, _CAPTURED, True)
    sig = signature(exc)
    trace_id, _ = trace_ids()
    STORE.record_error(sig, source, trace_id, context)
    ERRORS.labels(source, sig.error_type).inc()
    return sig.fingerprint
