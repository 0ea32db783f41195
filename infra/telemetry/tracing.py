"""The process's tracer provider and its exporters, chosen by `OTEL_EXPORTER` (otlp | console | none).

Span ids exist even with `none`: they go into logs, error records and `X-Trace-Id`. But a span
is only recorded (attributes, events, timing kept in memory) while something takes spans: an
exporter, or a test's in-memory one from `captured_spans()`. Recording every span of every
request and statement for nobody cost ~5 % of the API's CPU under `make load`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from opentelemetry import context as otel_context
from opentelemetry import metrics as otel_metrics
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

EXPORTERS = ("otlp", "console", "none")


class Fanout(SpanProcessor):
    """Span processors that can be added and removed at run time (the SDK only adds)."""

    def __init__(self) -> None:
        self._processors: list[SpanProcessor] = []
        self._lock = threading.Lock()

    @property
    def processors(self) -> list[SpanProcessor]:
        return self._processors

    def add(self, processor: SpanProcessor) -> None:
        with self._lock:
            self._processors = [*self._processors, processor]

    def remove(self, processor: SpanProcessor) -> None:
        with self._lock:
            self._processors = [p for p in self._processors if p is not processor]

    def on_start(self, span: Span, parent_context: otel_context.Context | None = None) -> None:
        for p in self._processors:
            p.on_start(span, parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        for p in self._processors:
            p.on_end(span)

    def shutdown(self) -> None:
        for p in self._processors:
            p.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return all(p.force_flush(timeout_millis) for p in self._processors)


FANOUT = Fanout()


class WhileTaken(Sampler):
    """Record and sample a span only while FANOUT has a processor; else drop it (it keeps
    valid ids for logs and the trace header, and costs next to nothing)."""

    def should_sample(self, parent_context: otel_context.Context | None, trace_id: int, name: str,
                      kind: SpanKind | None = None, attributes: Attributes = None,
                      links: Sequence[Link] | None = None, trace_state: TraceState | None = None,
                      ) -> SamplingResult:
        taken = bool(FANOUT.processors)
        return SamplingResult(Decision.RECORD_AND_SAMPLE if taken else Decision.DROP,
                              attributes if taken else None, trace_state)

    def get_description(self) -> str:
        return "WhileTaken"
_configured: list[str] = []


def configure_tracing(service: str, exporter: str, endpoint: str) -> None:
    """Install the global tracer (and, for otlp/console, meter) provider once per process."""
    if exporter not in EXPORTERS:
        raise ValueError(f"OTEL_EXPORTER must be one of {', '.join(EXPORTERS)}, got {exporter!r}")
    if _configured:
        return
    _configured.append(service)
    resource = Resource.create({"service.name": service})
    provider = TracerProvider(resource=resource, sampler=WhileTaken())
    provider.add_span_processor(FANOUT)
    if exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        FANOUT.add(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")))
    elif exporter == "console":
        FANOUT.add(BatchSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
    if exporter != "none":
        _configure_meters(resource, exporter, endpoint)


def _configure_meters(resource: Resource, exporter: str, endpoint: str) -> None:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import (
        ConsoleMetricExporter,
        PeriodicExportingMetricReader,
    )

    from infra.telemetry.metrics import enable_otel_metrics

    if exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        metric_exporter = OTLPMetricExporter(endpoint=f"{endpoint.rstrip('/')}/v1/metrics")
    else:
        metric_exporter = ConsoleMetricExporter()
    reader = PeriodicExportingMetricReader(metric_exporter, export_interval_millis=60000)
    otel_metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[reader]))
    enable_otel_metrics()


@contextmanager
def captured_spans() -> Iterator[InMemorySpanExporter]:
    """Every span ended inside the block, kept in memory (for tests and diagnostics)."""
    exporter = InMemorySpanExporter()
    processor = SimpleSpanProcessor(exporter)
    FANOUT.add(processor)
    try:
        yield exporter
    finally:
        FANOUT.remove(processor)


_TRACER = trace.get_tracer("shopops")  # once: a proxy until the provider is installed


def tracer() -> trace.Tracer:
    return _TRACER
