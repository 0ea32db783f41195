"""Small helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, LiteralString

import httpx
import psycopg

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from db.models import Shop, User

# The clock date-dependent tests run at: SHOPOPS_TEST_NOW (ISO 8601 with offset) or, by default,
# a UTC month end that is already the next month's first hour in Prague. Tests seed their data
# relative to it and pass it where the code takes a clock (`as_of`, `started_at`, `at`).
TEST_NOW = datetime.fromisoformat(os.environ.get("SHOPOPS_TEST_NOW") or "2026-11-30T23:30:00+00:00")

# What the `make_user` and `make_shop` fixtures of tests/conftest.py hand a test.
MakeUser = Callable[..., "tuple[User, str]"]
MakeShop = Callable[..., "Shop"]
# The `sql` fixtures: run a statement, get its rows.
RunSql = Callable[..., list[tuple[Any, ...]]]


@contextlib.contextmanager
def app_env(**values: str) -> Iterator[None]:
    """Set process settings (environment variables) for the block and put them back after it,
    re-reading the settings both times, so no later test sees this test's values."""
    from db.config import get_settings

    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


async def login(client: httpx.AsyncClient, email: str, password: str) -> None:
    """Sign the client in and send the session's CSRF token from then on, as the UI does."""
    response = await client.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.cookies["shopops_csrf"]


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    """The response is an RFC 9457 problem with the given status; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"]
    return body


def scalar(conn: psycopg.Connection[Any], query: LiteralString) -> Any:
    """The one value a one-row query answers."""
    row = conn.execute(query).fetchone()
    assert row is not None, query
    return row[0]


_ESHOP_IDS = itertools.count(1_000_000)


def fresh_eshop_id() -> int:
    """An e-shop id no other shop of this test session has (random ids in a fixed range
    collided now and then: two fixtures drew the same one)."""
    return next(_ESHOP_IDS)


def installed_shop(db: Session, webhook_key: str, name: str = "hooks") -> Shop:
    """An active shop with an installation whose webhook signature key is `webhook_key`."""
    from db.models import Installation
    from db.models import Shop as ShopRow

    shop = ShopRow(eshop_id=fresh_eshop_id(), name=name, status="active")
    db.add(shop)
    db.flush()
    db.add(Installation(shop_id=shop.id, oauth_token="x" * 255, webhook_key=webhook_key))
    db.commit()
    return shop


async def load_records(shop_id: int, resource: str, docs: list[dict[str, Any]], *, index_search: bool = True) -> None:
    """`docs` written as one snapshot ingest batch through the Loader: rows, search documents
    (unless `index_search=False`, as a bulk snapshot) and the resource's cache tag moved."""
    import orjson

    from activities.snapshots.ingest.loader import Loader, build_batch
    from db.engine import raw_connection

    conn = await raw_connection()
    try:
        lines = [(i + 1, orjson.dumps(d)) for i, d in enumerate(docs)]
        loader = Loader(conn, resource, shop_id, index_search=index_search)
        await loader.load(build_batch(resource, shop_id, lines, 0, 0))
    finally:
        await conn.close()


class CacheClock:
    """The tagged cache's clock (`cache_clock` fixture), moved by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now
