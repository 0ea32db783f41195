"""The sandbox ASGI app: Shoptet's OAuth server and REST API behind the gate, plus `/_sandbox`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from infra.sandbox.envelope import ApiError, failure, plain_json, request_id_of
from infra.sandbox.gate import ShoptetGate
from infra.sandbox.routes import (
    control,
    entities,
    eshop,
    oauth,
    orders,
    snapshots,
    stocks,
    weather,
    webhooks,
)
from infra.sandbox.state import SandboxState


def create_app(state: SandboxState | None = None) -> FastAPI:
    state = state or SandboxState()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await state.startup()
        try:
            yield
        finally:
            await state.shutdown()

    app = FastAPI(
        title="Shoptet sandbox",
        lifespan=lifespan,
        docs_url="/_sandbox/docs",
        openapi_url="/_sandbox/openapi.json",
    )
    app.state.sandbox = state
    # snapshots first: /api/orders/snapshot must win over /api/orders/{code}
    for module in (snapshots, orders, entities, stocks, eshop, webhooks, oauth, control, weather):
        app.include_router(module.router)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        return failure(request_id_of(request), exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            code = "endpoint-not-found" if exc.status_code == 404 else "http-error"
            return failure(request_id_of(request), ApiError(exc.status_code, code, str(exc.detail)))
        return plain_json({"detail": exc.detail}, exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        if request.url.path.startswith("/api/"):
            return failure(request_id_of(request), ApiError(400, "invalid-parameter", problems))
        return plain_json({"detail": problems}, 422)

    app.add_middleware(ShoptetGate, state=state)
    return app
