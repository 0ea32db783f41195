"""Health of the API: liveness (the process answers), readiness (it reaches PostgreSQL, Redis
and Temporal) and the combined report `/api/health` that ops and the UI read."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.problems import PROBLEM_JSON, problem_response
from api.warmup import WarmUp
from infra.readiness import check_dependencies, down, not_ready_problem

router = APIRouter(tags=["health"])


@router.get("/api/health")
async def health() -> JSONResponse:
    checks = await check_dependencies()
    ok = not down(checks)
    return JSONResponse(
        {"status": "up" if ok else "degraded", "checks": checks}, 200 if ok else 503
    )


@router.get("/api/health/live")
async def live() -> JSONResponse:
    """Liveness: no dependency is probed, so an outage of one does not restart every replica."""
    return JSONResponse({"status": "up"})


@router.get("/api/health/ready")
async def ready(request: Request) -> JSONResponse:
    """Readiness: 503 with a problem body naming what is unreachable, so the proxy or the
    Service routes no requests here until it is back; 503 too while a new process warms up
    (api.warmup: its connections and statements, a few hundred ms)."""
    warm: WarmUp | None = getattr(request.app.state, "warm_up", None)
    if warm is not None and not warm.done.is_set():
        warming = problem_response(503, "Not ready", "this API is warming up (database pool, statements, Temporal)",
                                   dependencies=[])
        warming.headers["Retry-After"] = "1"
        return warming
    checks = await check_dependencies()
    if down(checks):
        return JSONResponse(not_ready_problem(checks, "API"), 503, media_type=PROBLEM_JSON)
    return JSONResponse({"status": "up", "checks": checks})
