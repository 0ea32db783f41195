"""The FastAPI application: routers, problem responses, and the built UI as static files."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware

from api import problems
from api.routes import ROUTERS
from db.config import get_settings
from db.engine import dispose_engines
from db.redis_client import close_redis

UI_DIST = Path(__file__).resolve().parent.parent / "ui" / "dist"

PLACEHOLDER = """<!doctype html><html><head><meta charset="utf-8"><title>shopops</title></head>
<body><h1>shopops</h1><p>The UI is not built yet: run <code>make ui</code>.
The API lives under <a href="/api/docs">/api/docs</a>.</p></body></html>"""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncGenerator[None, None]:
    from api.services.webhooks import close_coalescer, sweep_outbox_forever
    from api.warmup import WarmUp

    warm = app.state.warm_up = WarmUp(app)  # readiness is 503 until it is done
    warm.start()
    sweep = asyncio.create_task(sweep_outbox_forever())
    yield
    await warm.stop()
    sweep.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sweep
    await close_coalescer()  # pending trailing nudges: their rows stay `received` for the outbox
    await dispose_engines()
    await close_redis()


def create_app() -> FastAPI:
    from api.security import dummy_password_hash
    from api.web_security import WebSecurity
    from infra.telemetry import instrument_app, setup_telemetry

    get_settings().refuse_unsafe_secrets()
    dummy_password_hash()  # computed now, so the first unknown e-mail is not answered slower
    setup_telemetry("shopops-api")
    app = FastAPI(
        title="shopops",
        version="0.1.0",
        lifespan=_lifespan,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
        # FastAPI's own OpenTelemetry would trace, measure and log every request a second time
        # beside infra.telemetry (our spans, metrics and error records): ~8 % of the API's CPU
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    problems.install(app)
    for router in ROUTERS:
        app.include_router(router)
    instrument_app(app)
    app.add_middleware(WebSecurity)  # outermost: its headers go on telemetry's 500 answers too
    _mount_ui(app)
    return app


def _mount_ui(app: FastAPI) -> None:
    """Serve the single-page app; unknown non-API paths fall back to index.html for routing."""
    index = UI_DIST / "index.html"
    if (UI_DIST / "assets").is_dir():
        # Vite names every asset by its content hash: compressed once per answer here, and the
        # browser keeps it for a year (web_security marks /assets/ immutable).
        assets = GZipMiddleware(StaticFiles(directory=UI_DIST / "assets"), minimum_size=1024)
        app.mount("/assets", assets, name="assets")

    @app.get("/{path:path}", include_in_schema=False, response_model=None)
    async def spa(path: str) -> FileResponse | HTMLResponse:
        if path.startswith("api/"):
            from api.problems import Problem

            raise Problem(404, "Not found", f"No API route /{path}.")
        candidate = (UI_DIST / path).resolve()
        if path and candidate.is_file() and UI_DIST.resolve() in candidate.parents:
            return FileResponse(candidate)
        if index.is_file():
            return FileResponse(index)
        return HTMLResponse(PLACEHOLDER)
