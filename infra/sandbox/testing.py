"""`running_sandbox(**knobs)`: a real sandbox HTTP server on a free 127.0.0.1 port for tests.

The server runs in a background thread with its own event loop, so tests talk to it over
TCP exactly as to api.myshoptet.com, and blocking code in a test cannot stall it.

    async with running_sandbox(shops=[ShopSpec(eshop_id=1, orders=500)], bucket_capacity=20) as sb:
        token = sb.state.api_token(1)
        ... httpx.get(f"{sb.url}/api/orders", headers={"Shoptet-Access-Token": token}) ...
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

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
async def running_sandbox(
    *, shops: Iterable[ShopSpec] = (), state: SandboxState | None = None, **knobs: Any
) -> AsyncIterator[RunningSandbox]:
    """Start the sandbox (with `shops` and knobs such as error_rate=0.2) and stop it on exit."""
    state = state or SandboxState(shops=shops, **knobs)
    port = free_port()
    config = uvicorn.Config(
        create_app(state), host="127.0.0.1", port=port, log_level="warning", date_header=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"shoptet-sandbox-{port}", daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            if not thread.is_alive():
                raise RuntimeError(f"the sandbox failed to start on 127.0.0.1:{port}")
            await asyncio.sleep(0.01)
        else:
            raise RuntimeError("the sandbox did not start within 5 s")
        yield RunningSandbox(url=f"http://127.0.0.1:{port}", state=state)
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)
