"""Channel tests: the WooCommerce sandbox over real HTTP, and recorded workflow histories."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from temporalio.client import WorkflowHandle

from infra.woocommerce_sandbox.state import StoreSpec
from infra.woocommerce_sandbox.testing import RunningStore, running_store

HISTORIES = Path(__file__).resolve().parent / "histories"
ROOT = HISTORIES.parents[2]


@pytest.fixture
async def store() -> AsyncIterator[RunningStore]:
    """A store with 250 orders (3 pages of 100) over 3 simple products and one variable one."""
    async with running_store(StoreSpec(orders=250)) as running:
        yield running


def connect_store(
    db_session: Session, shop_id: int, url: str, key: str = "ck_sandbox", secret: str = "cs_sandbox"
) -> int:
    from db.models import ChannelConnection

    connection = ChannelConnection(
        shop_id=shop_id, kind="woocommerce", name="Woo e-shop", base_url=url,
        consumer_key=key, consumer_secret=secret,
    )
    db_session.add(connection)
    db_session.commit()
    return connection.id


async def keep_history(handle: WorkflowHandle[object, object], name: str) -> None:
    """Store the run's history for the replay test (refresh with SHOPOPS_RECORD_HISTORIES=1)."""
    path = HISTORIES / f"{name}.json"
    if os.environ.get("SHOPOPS_RECORD_HISTORIES") or not path.exists():
        HISTORIES.mkdir(exist_ok=True)
        history = await handle.fetch_history()
        # a failure's stack trace names this checkout's path: keep the file machine-neutral
        path.write_text(history.to_json().replace(f"{ROOT}/", ""))
