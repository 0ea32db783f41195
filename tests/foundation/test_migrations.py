"""Alembic revisions go up and down on a real database, and match the models."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import psycopg
import pytest
from alembic import command
from alembic.util.exc import CommandError
from sqlalchemy import create_engine, inspect
from sqlalchemy.orm import Session

from db import migrate
from db.engine import sqlalchemy_url
from tests.conftest import ADMIN_DSN


@pytest.fixture
def scratch_url() -> Iterator[str]:
    name = f"shopops_mig_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{ADMIN_DSN.rsplit('/', 1)[0]}/{name}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def _tables(url: str) -> set[str]:
    engine = create_engine(sqlalchemy_url(url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(scratch_url: str) -> None:
    migrate.upgrade(scratch_url)
    tables = _tables(scratch_url)
    assert {"orders", "order_items", "shops", "installations", "snapshot_runs"} <= tables
    assert "orders_default" in tables and "order_items_default" in tables
    migrate.downgrade(scratch_url, "base")
    assert _tables(scratch_url) <= {"alembic_version"}
    migrate.upgrade(scratch_url)
    assert "orders" in _tables(scratch_url)


def test_models_match_migrations(database_url: str) -> None:
    """`alembic check` finds nothing to autogenerate: models and revisions agree."""
    try:
        command.check(migrate.alembic_config(database_url))
    except CommandError as exc:  # pragma: no cover - the failure message is the diff
        pytest.fail(f"models and migrations disagree: {exc}")


def test_partitioned_tables_route_rows_by_quarter(db_session: Session) -> None:
    from sqlalchemy import text

    db_session.execute(
        text(
            "INSERT INTO orders (shop_id, code, created_at, total_with_vat) "
            "VALUES (-7, 'P1', '2024-02-10T10:00:00+01:00', 10), (-7, 'P2', '2024-05-01T00:30:00+02:00', 5)"
        )
    )
    where = db_session.execute(
        text("SELECT code, tableoid::regclass::text FROM orders WHERE shop_id = -7 ORDER BY code")
    ).all()
    db_session.rollback()
    # 2024-05-01 00:30 +02:00 is 2024-04-30 22:30 UTC: still Q2 (bounds are UTC)
    assert where == [("P1", "orders_2024q1"), ("P2", "orders_2024q2")]


def test_revision_files_read_in_the_order_they_apply() -> None:
    """Files are named `<position>_<revision>_<slug>.py`, position = place in the chain, so a
    directory listing reads base → head (revision ids stay as they were: a database already at
    head is unaffected by a rename)."""
    from pathlib import Path

    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    chain = [rev for rev in script.walk_revisions()][::-1]  # base → head
    files = sorted(Path(rev.path).name for rev in chain)
    assert files == [Path(rev.path).name for rev in chain], "rename so the files sort base → head"
    for position, rev in enumerate(chain, start=1):
        assert Path(rev.path).name.startswith(f"{position:02d}_{rev.revision}_"), rev.path
