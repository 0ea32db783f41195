"""Admin: the database audit (slow statements, sequential scans, unused/duplicate/missing indexes)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.common.params import INT_MAX
from api.deps import AdminCaller, SessionDep
from db.audit import run_audit

router = APIRouter(prefix="/api/admin/db", tags=["admin"])


@router.get("/index-audit")
async def index_audit(
    _: AdminCaller,
    session: SessionDep,
    slow_query_ms: Annotated[float | None, Query(gt=0, le=86_400_000, allow_inf_nan=False)] = None,
    slow_query_calls: Annotated[int | None, Query(ge=1, le=INT_MAX)] = None,
) -> dict[str, Any]:
    """Every check with its thresholds, state (ok / warning / unavailable) and findings."""
    overrides = {
        k: v
        for k, v in {"slow_query_ms": slow_query_ms, "slow_query_calls": slow_query_calls}.items()
        if v
    }
    return {"checks": [asdict(r) for r in await run_audit(session, overrides)]}
