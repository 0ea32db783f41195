"""Is this process ready for traffic? Probes of PostgreSQL, Redis and Temporal shared by the API's
`/api/health/ready` and a worker's own `/ready`, and that small HTTP server for workers.

Liveness is separate and cheap (the process answers): an orchestrator restarts a process that
is not live, but only stops routing to (or counting on) one that is not ready, so a database
outage takes every pod out of rotation without restarting all of them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import orjson
from sqlalchemy import text

from db.engine import session_scope
from db.redis_client import redis_client

log = logging.getLogger(__name__)
PROBE_TIMEOUT_S = 3.0


async def _database() -> None:
    async with session_scope() as session:
        await session.execute(text("SELECT 1"))


async def _redis() -> None:
    if not await redis_client().ping():
        raise RuntimeError("PING was not answered")


async def _temporal() -> None:
    from infra.temporal_client import connect

    client = await connect()
    await client.service_client.check_health()


PROBES: dict[str, Callable[[], Awaitable[None]]] = {
    "database": _database,
    "redis": _redis,
    "temporal": _temporal,
}


async def _check(probe: Callable[[], Awaitable[None]]) -> dict[str, str]:
    try:
        await asyncio.wait_for(probe(), timeout=PROBE_TIMEOUT_S)
        return {"status": "up"}
    except Exception as exc:
        return {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:300]}


async def check_dependencies() -> dict[str, dict[str, str]]:
    """Each dependency's status ("up"/"down", with the error when down), probed at once."""
    results = await asyncio.gather(*(_check(p) for p in PROBES.values()))
    return dict(zip(PROBES, results, strict=True))


def down(checks: dict[str, dict[str, str]]) -> list[str]:
    return [name for name, check in checks.items() if check["status"] != "up"]


def not_ready_problem(checks: dict[str, dict[str, str]], role: str) -> dict[str, object]:
    """The RFC 9457 body of a 503 that names the dependencies this process cannot reach."""
    missing = down(checks)
    return {
        "type": "about:blank",
        "title": "Not ready",
        "status": 503,
        "detail": f"this {role} cannot reach: {', '.join(missing)}",
        "dependencies": missing,
        "checks": checks,
    }


class WorkerHealthServer:
    """`GET /live` (200 while the process runs) and `GET /ready` (200 while the worker polls and
    reaches its dependencies; 503 with a problem body otherwise, and from SIGTERM on)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.draining = False
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("worker health on :%s (/live, /ready)", self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), timeout=5)
            while (await asyncio.wait_for(reader.readline(), timeout=5)) not in (b"\r\n", b"\n", b""):
                pass
            parts = request.decode("latin-1").split()
            path = parts[1] if len(parts) > 1 else ""
            status, body = await self._answer(path)
            reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
            media = "application/json" if status == 200 else "application/problem+json"
            writer.write(
                f"HTTP/1.1 {status} {reason}\r\nContent-Type: {media}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body
            )
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _answer(self, path: str) -> tuple[int, bytes]:
        if path == "/live":
            return 200, orjson.dumps({"status": "up"})
        if path != "/ready":
            return 404, orjson.dumps({"type": "about:blank", "title": "Not Found", "status": 404})
        if self.draining:
            body = {"type": "about:blank", "title": "Not ready", "status": 503,
                    "detail": "this worker is draining (SIGTERM): it polls no more tasks",
                    "dependencies": []}
            return 503, orjson.dumps(body)
        checks = await check_dependencies()
        if down(checks):
            return 503, orjson.dumps(not_ready_problem(checks, "worker"))
        return 200, orjson.dumps({"status": "up", "checks": checks})
