"""Spans are recorded only while something takes them (infra/telemetry/tracing.py `WhileTaken`),
and keep valid ids either way (logs, error records and X-Trace-Id need them)."""

from __future__ import annotations

import httpx

from infra.telemetry import captured_spans
from infra.telemetry.tracing import FANOUT, configure_tracing, tracer


def test_a_span_nobody_takes_is_not_recorded_but_has_ids() -> None:
    configure_tracing("shopops-test", "none", "")
    assert FANOUT.processors == []  # OTEL_EXPORTER=none and no capture
    with tracer().start_as_current_span("dropped") as span:
        context = span.get_span_context()
        assert not span.is_recording()
        assert context.is_valid and context.trace_id != 0
    with captured_spans() as exporter, tracer().start_as_current_span("kept") as span:
        assert span.is_recording()
    assert [s.name for s in exporter.get_finished_spans()] == ["kept"]


async def test_every_answer_names_its_trace_even_when_no_span_is_recorded(api: httpx.AsyncClient) -> None:
    answer = await api.get("/api/health")
    trace_id = answer.headers["x-trace-id"]
    assert len(trace_id) == 32 and int(trace_id, 16) != 0
