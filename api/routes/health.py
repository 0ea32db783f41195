"""Liveness of the API and its dependencies: database, Redis, Temporal."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from db.engine import session_scope
from db.redis_client import redis_client
from infra.temporal_client import connect

router = APIRouter(tags=["health"])


async def _database() -> str:
    async with session_scope() as session:
        await session.execute(text("SELECT 1"))
    return "up"


async def _redis() -> str:
    return "up" if await redis_client().ping() else "down"


async def _temporal() -> str:
    client = await connect()
    await client.service_client.check_health()
    return "up"


async def _check(probe: Any) -> dict[str, str]:
    try:
        return {"status": await asyncio.wait_for(probe(), timeout=3)}
    except Exception as exc:
        return {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:300]}


@router.get("/api/health")
async def health() -> JSONResponse:
    names = ("database", "redis", "temporal")
    results = await asyncio.gather(*(_check(p) for p in (_database, _redis, _temporal)))
    checks = dict(zip(names, results, strict=True))
    ok = all(c["status"] == "up" for c in checks.values())
    return JSONResponse(
        {"status": "up" if ok else "degraded", "checks": checks}, 200 if ok else 503
    )
