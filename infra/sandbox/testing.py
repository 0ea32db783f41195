"""Test helpers: `running_sandbox(**knobs)`, a real sandbox HTTP server on a free 127.0.0.1
port, and `running_receiver()`, an HTTP endpoint that records what is posted to it (webhooks)
or answers an install call.

Servers run in a background thread with their own event loop, so tests talk to them over TCP
exactly as to api.myshoptet.com, and blocking code in a test cannot stall them.

    async with running_sandbox(shops=[ShopSpec(eshop_id=1, orders=500)], bucket_capacity=20) as sb:
        token = sb.state.api_token(1)
        ... httpx.get(f"{sb.url}/api/orders", headers={"Shoptet-Access-Token": token}) ...
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from infra.sandbox.app import create_app
from infra.sandbox.generator import ShopSpec
from infra.sandbox.state import SandboxState


@dataclass
class RunningSandbox:
    url: str  # e.g. http://127.0.0.1:54321 (no trailing slash)
    state: SandboxState

    def api_token(self, eshop_id: int) -> str:
        return self.state.api_token(eshop_id)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def _serve(app: Any, name: str) -> AsyncIterator[int]:
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", date_header=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"{name}-{port}", daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            if not thread.is_alive():
                raise RuntimeError(f"{name} failed to start on 127.0.0.1:{port}")
            await asyncio.sleep(0.01)
        else:
            raise RuntimeError(f"{name} did not start within 5 s")
        yield port
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)


@asynccontextmanager
async def running_sandbox(
    *, shops: Iterable[ShopSpec] = (), state: SandboxState | None = None, **knobs: Any
) -> AsyncIterator[RunningSandbox]:
    """Start the sandbox (with `shops` and knobs such as error_rate=0.2) and stop it on exit."""
    state = state or SandboxState(shops=shops, **knobs)
    async with _serve(create_app(state), "shoptet-sandbox") as port:
        yield RunningSandbox(url=f"http://127.0.0.1:{port}", state=state)


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class RunningReceiver:
    url: str  # POST/GET anything under it
    received: list[Received] = field(default_factory=list)
    status: int = 200  # what to answer; change it during a test
    delay: float = 0.0  # seconds to wait before answering
    handler: Callable[[Received], Awaitable[int | None]] | None = None  # may override the status

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Wait until at least `count` requests arrived; raises TimeoutError with what did arrive."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"expected {count} requests at {self.url}, got {len(self.received)}"
                )
            await asyncio.sleep(0.01)
        return self.received


@asynccontextmanager
async def running_receiver(status: int = 200) -> AsyncIterator[RunningReceiver]:
    """An HTTP endpoint recording every request (webhook deliveries, install calls)."""
    receiver = RunningReceiver(url="", status=status)

    async def record(request: Request) -> Response:
        hit = Received(
            method=request.method,
            path=request.url.path,
            query=dict(request.query_params),
            headers=dict(request.headers),
            body=await request.body(),
            at=time.monotonic(),
        )
        receiver.received.append(hit)
        if receiver.delay:
            await asyncio.sleep(receiver.delay)
        status = receiver.status
        if receiver.handler is not None:
            status = await receiver.handler(hit) or status
        return Response(status_code=status)

    app = Starlette(routes=[Route("/{path:path}", record, methods=["GET", "POST"])])
    async with _serve(app, "receiver") as port:
        receiver.url = f"http://127.0.0.1:{port}/hook"
        yield receiver


ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def sandbox_process(*, demo: bool = False, startup_timeout: float = 20.0) -> Iterator[str]:
    """`python -m infra.sandbox` in its own process; yields its base URL.

    For measurements that must not count the server (memory of a client, benchmarks).
    """
    port = free_port()
    args = [sys.executable, "-m", "infra.sandbox", "--port", str(port), "--log-level", "warning"]
    proc = subprocess.Popen([*args, *(["--demo"] if demo else [])], cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                httpx.get(f"{url}/_sandbox/stats", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"sandbox process did not start on {url} (exit code {proc.poll()})"
                    ) from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
