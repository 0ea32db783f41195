"""RFC 9457 problem responses: every error the API returns is JSON with type, title, status, detail."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError, RPCStatusCode

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """Raise from anywhere in a request to answer with a problem body."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra
        self.headers = headers or {}


def problem_response(
    status: int, title: str, detail: str | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def data_error(exc: BaseException) -> psycopg.Error | None:
    """The database's "bad value" error behind `exc` (SQLSTATE class 22, data exception, or
    psycopg's own refusal to send a value, e.g. a NUL in text), else None."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    if isinstance(orig, psycopg.DataError):
        return orig
    if isinstance(orig, psycopg.Error) and (orig.sqlstate or "").startswith("22"):
        return orig
    return None


def install(app: FastAPI) -> None:
    @app.exception_handler(DBAPIError)
    @app.exception_handler(psycopg.Error)
    async def _database(request: Request, exc: Exception) -> JSONResponse:
        # The safety net behind the typed inputs of `api.common.params`: a value the database
        # cannot hold is the caller's mistake (422), whatever route let it through.
        bad = data_error(exc)
        if bad is None:
            raise exc
        reason = (bad.diag.message_primary if bad.sqlstate else None) or str(bad).splitlines()[0]
        log.warning("%s %s: database refused a value: %s", request.method, request.url.path, reason)
        return problem_response(
            422, "Invalid value", f"The database cannot store or compare a value of this request: {reason}."
        )

    @app.exception_handler(PoolTimeout)
    async def _pool_exhausted(request: Request, exc: PoolTimeout) -> JSONResponse:
        # Every pooled connection of this process stayed busy for DATABASE_POOL_TIMEOUT: overload,
        # not a bug. 503 + Retry-After lets the client (and the proxy) back off or go elsewhere.
        log.warning("%s %s: database pool exhausted: %s", request.method, request.url.path, exc)
        response = problem_response(
            503, "Busy", "Every database connection of this server is in use; retry in a moment."
        )
        response.headers["Retry-After"] = "2"
        return response

    @app.exception_handler(RPCError)
    async def _workflow_engine(request: Request, exc: RPCError) -> JSONResponse:
        # Temporal refuses ids and arguments it cannot parse; that is the caller's input too.
        if exc.status != RPCStatusCode.INVALID_ARGUMENT:
            raise exc
        return problem_response(422, "Invalid value", f"The workflow engine refused the request: {exc.message}.")

    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        response = problem_response(exc.status, exc.title, exc.detail, **exc.extra)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else None
        titles = {
            401: "Not signed in",
            403: "Forbidden",
            404: "Not found",
            405: "Method not allowed",
        }
        response = problem_response(exc.status_code, titles.get(exc.status_code, "Error"), detail)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid input"}
        where = ".".join(str(p) for p in first["loc"][1:]) or "request"
        return problem_response(422, "Invalid request", f"{where}: {first['msg']}", errors=errors)
