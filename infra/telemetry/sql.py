"""SQL spans and SQL time, measured at the psycopg cursor, so SQLAlchemy sessions and the raw
COPY connections of the ingest are seen alike.

The upstream opentelemetry-instrumentation-psycopg wraps connections the same way, but its
releases pin an older semantic-conventions package than our SDK needs; this is the small part
of it we use. Query texts in spans have their string literals masked (parameters are never
recorded). A statement outside any trace still counts toward SQL time but makes no root span.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from db.telemetry_store import SUPPRESSED
from infra.telemetry.metrics import observe

QUERY_TEXT_LIMIT = 1000
_OPERATION = re.compile(r"^\s*(?:/\*.*?\*/\s*|--[^\n]*\n\s*)*([A-Za-z]+)", re.S)
_TABLE = re.compile(
    r"\b(?:FROM|INTO|UPDATE|JOIN|COPY|TABLE)\s+(?:ONLY\s+|IF\s+(?:NOT\s+)?EXISTS\s+)?\"?([A-Za-z_][\w.]*)", re.I
)
_LITERAL = re.compile(r"'(?:[^']|'')*'")
_PATCHED: list[tuple[type, str, Callable[..., Any]]] = []
# once, not per statement: `get_tracer` builds a tracer through a deprecation shim and the
# warnings filters each time (~6 times per API request); before the provider is installed this
# is a proxy that follows it
_TRACER = trace.get_tracer("shopops.sql")


def describe(query: Any, cursor: Any = None) -> tuple[str, str]:
    """(series name like `SELECT orders`, query text with literals masked)."""
    if isinstance(query, bytes):
        sql = query.decode(errors="replace")
    elif isinstance(query, str):
        sql = query
    else:
        try:
            sql = query.as_string(cursor)
        except Exception:  # a Composable that needs a live connection
            sql = str(query)
    match = _OPERATION.match(sql)
    # no keyword at all: SQLAlchemy's pool pre-ping sends an empty statement
    operation = match.group(1).upper() if match else ("SQL" if sql.strip(" ;\n") else "PING")
    table = _TABLE.search(sql)
    name = f"{operation} {table.group(1)}" if table and operation != "WITH" else operation
    return name, _LITERAL.sub("'?'", " ".join(sql.split()))[:QUERY_TEXT_LIMIT]


@contextmanager
def measured(cursor: Any, query: Any) -> Iterator[None]:
    name, text = describe(query, cursor)
    parent = trace.get_current_span()
    started = time.perf_counter()
    try:
        if parent.is_recording():
            attributes = {"db.system.name": "postgresql", "db.query.text": text, "db.operation.name": name.split(" ")[0]}
            with _TRACER.start_as_current_span(name, kind=SpanKind.CLIENT, attributes=attributes):
                yield
        else:
            yield
    finally:
        observe("sql", name, (time.perf_counter() - started) * 1000, statement=name)


def _sync_method(original: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        if SUPPRESSED.get():
            return original(self, query, *args, **kwargs)
        with measured(self, query):
            return original(self, query, *args, **kwargs)

    return method


def _async_method(original: Callable[..., Any]) -> Callable[..., Any]:
    async def method(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        if SUPPRESSED.get():
            return await original(self, query, *args, **kwargs)
        with measured(self, query):
            return await original(self, query, *args, **kwargs)

    return method


class _MeasuredCopy:
    """`cursor.copy(...)` as a context manager whose whole block is one measured statement."""

    def __init__(self, inner: Any, cursor: Any, statement: Any) -> None:
        self._inner, self._measure = inner, measured(cursor, statement)

    def __enter__(self) -> Any:
        self._measure.__enter__()
        return self._inner.__enter__()

    def __exit__(self, *exc: Any) -> Any:
        try:
            return self._inner.__exit__(*exc)
        finally:
            self._measure.__exit__(*exc)

    async def __aenter__(self) -> Any:
        self._measure.__enter__()
        return await self._inner.__aenter__()

    async def __aexit__(self, *exc: Any) -> Any:
        try:
            return await self._inner.__aexit__(*exc)
        finally:
            self._measure.__exit__(*exc)


def _copy_method(original: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: Any, statement: Any, *args: Any, **kwargs: Any) -> Any:
        inner = original(self, statement, *args, **kwargs)
        return inner if SUPPRESSED.get() else _MeasuredCopy(inner, self, statement)

    return method


def instrument_psycopg() -> None:
    """Wrap execute, executemany and copy of psycopg's client-side cursors (idempotent)."""
    if _PATCHED:
        return
    plan = [
        (psycopg.Cursor, "execute", _sync_method),
        (psycopg.Cursor, "executemany", _sync_method),
        (psycopg.Cursor, "copy", _copy_method),
        (psycopg.AsyncCursor, "execute", _async_method),
        (psycopg.AsyncCursor, "executemany", _async_method),
        (psycopg.AsyncCursor, "copy", _copy_method),
    ]
    for cls, attr, wrap in plan:
        original = getattr(cls, attr)
        _PATCHED.append((cls, attr, original))
        setattr(cls, attr, wrap(original))


def uninstrument_psycopg() -> None:
    while _PATCHED:
        cls, attr, original = _PATCHED.pop()
        setattr(cls, attr, original)
