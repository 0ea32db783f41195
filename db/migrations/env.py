"""Alembic environment: migrates the database named by DATABASE_URL (or the -x url=… override)."""

from __future__ import annotations

import re

from alembic import context
from sqlalchemy import create_engine, pool

from db.engine import sqlalchemy_url
from db.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    override = context.get_x_argument(as_dictionary=True).get("url")
    return sqlalchemy_url(override or config.get_main_option("sqlalchemy.url") or None)


PARTITION = re.compile(r"_(\d{4}q[1-4]|default)$")


def _include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Quarter and default partitions are made by migrations and maintenance, not by models."""
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", "")
    return not (reflected and compare_to is None and PARTITION.search(table or ""))


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            include_object=_include_object,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
