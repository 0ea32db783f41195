"""A new API process gets warm before it says it is ready.

Measured in `make load` (issue 21): nearly every request over 500 ms of a run was sent in its
first second, to API processes that had just started. Their first fifty requests took 400 ms to
1 s against 10–30 ms a moment later: FastAPI built its routes on first use, each request opened
its own database connection and compiled the order list's and the sign-in's statements, and
several connected to Temporal at once. A replica started by a deploy or an autoscaler sees the
same burst. So the lifespan warms the process in the background: the routes built, the database
pool filled to DATABASE_POOL_SIZE, the hot statements compiled (run for shop 0, which matches
no row), Redis and Temporal connected, and what is alive then frozen out of the garbage
collector's full passes (API_GC_FREEZE). Until that is done (at most WARM_UP_BUDGET_S)
readiness answers 503 "warming up", so the proxy or the Service sends no traffic yet; liveness
answers at once. Every step is best effort: a dependency that is down is logged and left to
readiness, which names it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.types import Scope

from db.config import get_settings
from db.engine import async_engine, session_scope
from infra.readiness import PROBES

log = logging.getLogger(__name__)
WARM_UP_BUDGET_S = 10.0
STEP_BUDGET_S = 3.0  # as a readiness probe: a dependency that takes longer is down for now
NO_SHOP = 0  # shop ids start at 1: the statements run, match nothing, write nothing


class WarmUp:
    """The warm-up of this process: started by the lifespan, awaited by readiness."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.done = asyncio.Event()
        self.took: dict[str, float] = {}  # step -> seconds (or -1: failed)
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(WARM_UP_BUDGET_S):
                await self._step("routes", lambda: build_routes(self.app))
                # the pool first: the statements and Redis then run on warm connections
                await self._step("database pool", fill_pool)
                await asyncio.gather(
                    self._step("statements", compile_statements),
                    self._step("redis", PROBES["redis"]),
                    self._step("temporal", PROBES["temporal"]),  # connects the shared client
                )
                if get_settings().api_gc_freeze:
                    await self._step("gc freeze", freeze_startup_objects)
        except TimeoutError:
            log.warning("API warm-up stopped after %.0f s; serving anyway", WARM_UP_BUDGET_S)
        finally:
            self.done.set()
        log.info("API warm in %.0f ms: %s", (time.perf_counter() - started) * 1000,
                 ", ".join(f"{k} {v * 1000:.0f} ms" if v >= 0 else f"{k} failed" for k, v in self.took.items()))

    async def _step(self, name: str, step: Callable[[], Awaitable[object]]) -> None:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(STEP_BUDGET_S):
                await step()
            self.took[name] = time.perf_counter() - started
        except Exception as exc:  # down now: readiness names it
            self.took[name] = -1
            log.warning("API warm-up: %s failed (%s: %s)", name, type(exc).__name__, exc)

    async def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


async def build_routes(app: Starlette) -> None:
    """FastAPI builds an included router's routes (their dependency models, their parameters'
    fields) when a request first tries them: ~250 ms of CPU on the event loop, paid by the first
    requests. A path that matches no route tries, and so builds, every one."""
    scope: Scope = {"type": "http", "path": "/api/__warm-up__", "method": "GET", "root_path": "",
                    "headers": [], "query_string": b""}
    for route in app.router.routes:
        route.matches(scope)


async def freeze_startup_objects() -> None:
    """Move every object alive now (modules, routes, mappers, compiled statements: ~all of the
    process's heap) out of the collector's sight. Each full collection traversed them all: under
    `make load` a gen-2 pass held the event loop 160–220 ms every ~10 s, a pause every request
    in flight waited out. They live as long as the process anyway."""
    gc.collect()
    gc.freeze()


async def fill_pool() -> int:
    """Open DATABASE_POOL_SIZE connections at once and give them back: the pool keeps them."""
    engine = async_engine()
    opened = await asyncio.gather(
        *(engine.connect().start() for _ in range(get_settings().database_pool_size)),
        return_exceptions=True,
    )
    conns = [c for c in opened if isinstance(c, AsyncConnection)]
    for conn in conns:
        await conn.close()
    failed = [e for e in opened if isinstance(e, BaseException)]
    if failed:
        raise failed[0]
    return len(conns)


async def compile_statements() -> None:
    """Run the statements every merchant's first requests run (sign-in by token and by cookie,
    the shop, the order list first page and at depth, an order, a webhook's installation) for a
    shop and a token that do not exist: SQLAlchemy compiles and caches each one now."""
    from api.deps import SESSION_COOKIE, user_from_request
    from api.problems import Problem
    from api.services import orders, webhooks
    from db.models import Shop

    async with session_scope() as session:
        for header in ((b"authorization", b"Bearer warm-up"), (b"cookie", f"{SESSION_COOKIE}=warm-up".encode())):
            await user_from_request(Request({"type": "http", "headers": [header]}), session)
        await session.get(Shop, NO_SHOP)
        everything = orders.OrderFilters()
        cursor = orders.cursor_after(NO_SHOP, everything, datetime.now(UTC), "~")
        for filters, at in ((everything, None), (everything, cursor),
                            (orders.OrderFilters(status_id=1), None),
                            (orders.OrderFilters(created_from=datetime(2000, 1, 1, tzinfo=UTC)), None),
                            (orders.OrderFilters(q="warm-up"), None)):
            await orders.page(session, NO_SHOP, filters, at, 50)
        with contextlib.suppress(Problem):
            await orders.detail(session, NO_SHOP, "~")
        await webhooks.installation_of(session, NO_SHOP)
