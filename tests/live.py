"""A real uvicorn server for the API on a free port, for tests where Shoptet must call us."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def running_api() -> AsyncIterator[str]:
    """Serve `api.app:create_app` in a background thread; yields its base URL."""
    from api.app import create_app
    from db.config import get_settings

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    saved = os.environ.get("PUBLIC_BASE_URL")
    os.environ["PUBLIC_BASE_URL"] = url
    get_settings.cache_clear()
    server = uvicorn.Server(
        uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name=f"shopops-api-{port}", daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            if not thread.is_alive():
                raise RuntimeError("the API server thread died during start-up")
            await asyncio.sleep(0.01)
        yield url
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)
        if saved is None:  # no later test may send Shoptet to a server that is gone
            os.environ.pop("PUBLIC_BASE_URL", None)
        else:
            os.environ["PUBLIC_BASE_URL"] = saved
        get_settings.cache_clear()
