"""Request telemetry as a plain ASGI middleware: one server span per request (named by the route
template, so `/api/shops/{shop_id}/orders` is one series, not one per shop), its latency, and
unhandled exceptions captured as errors. Every response carries the trace id in `X-Trace-Id`;
an unhandled exception becomes a problem+json 500 that names it too, so a merchant's report
leads straight to the trace and the error group.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from infra.telemetry.errors import capture_exception
from infra.telemetry.metrics import observe

Scope = dict[str, Any]
TRACE_HEADER = b"x-trace-id"
log = logging.getLogger(__name__)


def route_of(scope: Scope) -> str:
    """The matched route template; unmatched paths share one name to keep series bounded."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return str(path)
    if str(scope.get("path", "")).startswith("/assets/"):
        return "/assets"
    return "unmatched"


_TRACER = trace.get_tracer("shopops.api")  # once: a proxy until the provider is installed


class RequestTelemetry:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        status = 500
        response_started = False
        started = time.perf_counter()
        span = _TRACER.start_span(
            f"{method} {scope['path']}",
            context=propagate.extract(carrier),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": scope["path"]},
        )
        span_ctx = span.get_span_context()
        trace_id = format(span_ctx.trace_id, "032x").encode() if span_ctx.is_valid else None

        async def send_with_trace(message: dict[str, Any]) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                if trace_id:
                    message = {**message, "headers": [*message.get("headers", []), (TRACE_HEADER, trace_id)]}
            await send(message)

        with trace.use_span(span, end_on_exit=True, record_exception=False, set_status_on_exception=False):
            try:
                await self.app(scope, receive, send_with_trace)
            except Exception as exc:
                span.record_exception(exc)
                capture_exception(exc, "api", {"method": method, "route": route_of(scope)})
                log.error("unhandled error in %s %s", method, route_of(scope), exc_info=exc)
                if response_started:
                    raise
                status = 500
                await _internal_error(send, trace_id)
            finally:
                route = route_of(scope)
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
                ms = (time.perf_counter() - started) * 1000
                observe("http", f"{method} {route}", ms, method=method, route=route, status=str(status))


async def _internal_error(send: Any, trace_id: bytes | None) -> None:
    ref = trace_id.decode() if trace_id else None
    body = {
        "type": "about:blank",
        "title": "Internal error",
        "status": 500,
        "detail": f"Something failed on our side; quote trace {ref} when you report it." if ref else "Something failed on our side.",
        "trace_id": ref,
    }
    headers = [(b"content-type", b"application/problem+json")]
    if trace_id:
        headers.append((TRACE_HEADER, trace_id))
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": orjson.dumps(body)})
