"""Shoptet's OAuth server on the partner shop: code → OAuth token, OAuth token → API token."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from infra.sandbox.envelope import plain_json
from infra.sandbox.routes.common import sandbox
from infra.sandbox.tokens import OAuthFailure

router = APIRouter()


def _failure(exc: OAuthFailure) -> Response:
    return plain_json({"error": exc.error, "error_description": exc.description}, exc.status)


async def _fields(request: Request) -> dict[str, Any]:
    """The token request as JSON (official example) or form-encoded (older clients)."""
    raw = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise OAuthFailure(400, "invalid_request", "Body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise OAuthFailure(400, "invalid_request", "Body must be a JSON object.")
        return body
    return dict(parse_qsl(raw.decode(), keep_blank_values=True))


@router.post("/action/ApiOAuthServer/token")
async def token(request: Request) -> Response:
    try:
        fields = await _fields(request)
        missing = [name for name in ("client_id", "code", "grant_type") if not fields.get(name)]
        if missing:
            raise OAuthFailure(400, "invalid_request", f"Missing field(s): {', '.join(missing)}.")
        if fields["grant_type"] != "authorization_code":
            raise OAuthFailure(
                400, "unsupported_grant_type", "grant_type must be authorization_code."
            )
        if fields.get("scope", "api") != "api":
            raise OAuthFailure(400, "invalid_scope", "scope must be api.")
        grant = sandbox(request).exchange_code(
            client_id=str(fields["client_id"]),
            client_secret=fields.get("client_secret"),
            code=str(fields["code"]),
            redirect_uri=fields.get("redirect_uri"),
        )
    except OAuthFailure as exc:
        return _failure(exc)
    return plain_json(grant)


@router.get("/action/ApiOAuthServer/getAccessToken")
async def get_access_token(request: Request) -> Response:
    header = request.headers.get("authorization", "")
    scheme, _, oauth_token = header.partition(" ")
    state = sandbox(request)
    if state.faults.oauth_slow_ms:
        await asyncio.sleep(state.faults.oauth_slow_ms / 1000)
    try:
        if scheme.lower() != "bearer" or not oauth_token.strip():
            state.stats["get_access_token_calls"] += 1
            raise OAuthFailure(
                401,
                "invalid_token",
                "Send the OAuth access token as 'Authorization: Bearer <token>'.",
            )
        return plain_json(state.issue_api_token(oauth_token.strip()))
    except OAuthFailure as exc:
        return _failure(exc)
