"""Alembic environment: migrates the database named by DATABASE_URL (or the -x url=… override)."""

from __future__ import annotations

import re

from alembic import context
from sqlalchemy import create_engine, pool
from sqlalchemy.schema import SchemaItem, Table

from db.engine import sqlalchemy_url
from db.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    override = context.get_x_argument(as_dictionary=True).get("url")
    return sqlalchemy_url(override or config.get_main_option("sqlalchemy.url") or None)


PARTITION = re.compile(r"_(\d{4}q[1-4]|default)$")


def _include_object(
    obj: SchemaItem, name: str | None, type_: str, reflected: bool, compare_to: SchemaItem | None
) -> bool:
    """Quarter and default partitions are made by migrations and maintenance, not by models."""
    if type_ == "table":
        table = name
    else:
        owner: object = getattr(obj, "table", None)
        table = owner.name if isinstance(owner, Table) else ""
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
