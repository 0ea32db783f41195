"""`GET /metrics` in Prometheus text format: this process's request, activity and SQL histograms
and error counters, plus the state and figure of every monitoring check as last evaluated.

It needs an admin (scrape with a bearer API token), because route names, error types and
check summaries describe the deployment.
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy import text

from api.deps import AdminCaller, SessionDep
from infra.monitoring.checks import RANK
from infra.telemetry.metrics import CHECK_STATE, CHECK_VALUE

router = APIRouter(tags=["admin"])


@router.get("/metrics", include_in_schema=False)
async def metrics(_: AdminCaller, session: SessionDep) -> Response:
    rows = await session.execute(text("SELECT name, part, state, value FROM monitoring_check_states"))
    for name, part, state, value in rows:
        CHECK_STATE.labels(name, part).set(RANK.get(state, -1))
        if value is not None:
            CHECK_VALUE.labels(name, part).set(value)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
