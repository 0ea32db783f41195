"""Shoptet's response envelope: `{"data", "errors", "metadata": {"requestId"}}` on every /api answer."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

JSON = "application/json; charset=utf-8"


class ApiError(Exception):
    """An error answered in the envelope, e.g. ApiError(404, "order-not-found", "...", code)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        instance: str = "unknown",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.instance = instance
        self.headers = headers or {}

    def error(self) -> dict[str, str]:
        return {"errorCode": self.code, "message": self.message, "instance": self.instance}


def envelope_bytes(data: Any, errors: list[dict[str, str]] | None, request_id: str) -> bytes:
    return orjson.dumps({"data": data, "errors": errors, "metadata": {"requestId": request_id}})


def request_id_of(request: Request) -> str:
    return getattr(request.state, "request_id", "00000000-0000-7000-8000-000000000000")


def ok(request: Request, data: Any, status: int = 200) -> Response:
    return Response(
        envelope_bytes(data, None, request_id_of(request)), status_code=status, media_type=JSON
    )


def failure(request_id: str, error: ApiError) -> Response:
    return Response(
        envelope_bytes(None, [error.error()], request_id),
        status_code=error.status,
        media_type=JSON,
        headers=error.headers,
    )


def plain_json(data: Any, status: int = 200) -> Response:
    """A JSON answer outside the envelope (OAuth server, sandbox control API)."""
    return Response(orjson.dumps(data), status_code=status, media_type=JSON)
