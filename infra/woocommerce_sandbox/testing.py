"""`running_store(spec)`: the WooCommerce sandbox on a free 127.0.0.1 port, for tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from infra.sandbox.testing import _serve  # pyright: ignore[reportPrivateUsage]
from infra.woocommerce_sandbox.app import create_app
from infra.woocommerce_sandbox.state import StoreSpec, StoreState


@dataclass
class RunningStore:
    url: str
    state: StoreState


@asynccontextmanager
async def running_store(spec: StoreSpec | None = None) -> AsyncIterator[RunningStore]:
    state = StoreState(spec or StoreSpec())
    async with _serve(create_app(state), "woocommerce-sandbox") as port:
        yield RunningStore(f"http://127.0.0.1:{port}", state)
