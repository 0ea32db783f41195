"""A shop with a small catalog for the feeds workflow and API tests, and history recording."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from temporalio.client import WorkflowHandle

from bench.feeds import seed_catalog
from db.engine import libpq_url
from tests.support import MakeShop

HISTORIES = Path(__file__).resolve().parent / "histories"
SHOP_URL = "https://www.triko.example.cz/"


@pytest.fixture(scope="module")
def pg() -> Iterator[psycopg.Connection[Any]]:
    conn = psycopg.connect(libpq_url(os.environ["DATABASE_URL"]))
    yield conn
    conn.close()


def catalog_shop(make_shop: MakeShop, pg: psycopg.Connection[Any], items: int) -> int:
    """A new shop with `items` variants (two per product, Czech names with `&`)."""
    shop = make_shop(name="Triko e-shop")
    pg.execute("UPDATE shops SET url = %s WHERE id = %s", (SHOP_URL, shop.id))
    seed_catalog(pg, shop.id, items, SHOP_URL)
    pg.commit()
    return shop.id


async def record_history(handle: WorkflowHandle[Any, Any], name: str) -> None:
    """Store a run's history for the replay test (when missing, or with
    SHOPOPS_RECORD_HISTORIES=1)."""
    path = HISTORIES / f"{name}.json"
    if os.environ.get("SHOPOPS_RECORD_HISTORIES") or not path.exists():
        HISTORIES.mkdir(exist_ok=True)
        history = await handle.fetch_history()
        path.write_text(history.to_json())
