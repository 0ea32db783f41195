"""Maintenance: archive twins of orders and order_items, and the bookkeeping of moving data
between tables (maintenance runs, partition moves, archive holds, legacy migrations).

`orders_archive` / `order_items_archive` are built from the hot tables' own definitions, so a
detached hot quarter attaches to them as-is (same columns, same indexes; a metadata move, no
row copy). They have no default partition: rows only ever arrive by ATTACH, and without a
default a restore may detach concurrently. `orders_all` / `order_items_all` (views, created by
revision 0200) serve history across both.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import conv

from db.models.base import Base, created_column, table_of, updated_column
from db.models.orders import Order, OrderItem

ARCHIVE_SUFFIX = "_archive"
HOT_TABLES = ("orders", "order_items")
# The money column each verify step sums, per hot table.
MONEY_COLUMN = {"orders": "total_with_vat", "order_items": "price_with_vat"}

# The orders list's `q` filter (code prefix, e-mail, billing name) is served by trigram
# matching; declared here so the archive twin below gets the same index and ATTACH matches it.
ORDERS_SEARCH_INDEX = Index(
    "ix_orders_search_trgm",
    Order.__table__.c.code,
    Order.__table__.c.email,
    Order.__table__.c.billing_name,
    postgresql_using="gin",
    postgresql_ops={
        "code": "gin_trgm_ops",
        "email": "gin_trgm_ops",
        "billing_name": "gin_trgm_ops",
    },
)


def twin_table(source: Table, name: str, metadata: MetaData) -> Table:
    """A copy of `source` named `name`, with its key and index names renamed to match.

    Index names are unique per schema, so `ix_orders_shop_created` becomes
    `ix_orders_archive_shop_created`; columns, index columns and partitioning stay identical.
    """
    twin = source.to_metadata(metadata, name=name)
    twin.primary_key.name = conv(str(source.primary_key.name).replace(source.name, name, 1))
    for index in twin.indexes:
        index.name = conv(str(index.name).replace(source.name, name, 1))
    return twin


def archive_name(table: str) -> str:
    return f"{table}{ARCHIVE_SUFFIX}"


def history_view_name(table: str) -> str:
    return f"{table}_all"


def history_view_sql(table: str) -> str:
    """`<table>_all`: hot and archive rows together, for history queries (partition pruning works
    through UNION ALL, so a date-bounded query still touches only the quarters it needs)."""
    return (
        f"CREATE OR REPLACE VIEW {history_view_name(table)} AS "
        f"SELECT * FROM {table} UNION ALL SELECT * FROM {archive_name(table)}"
    )


orders_archive = twin_table(table_of(Order), archive_name("orders"), Base.metadata)
order_items_archive = twin_table(table_of(OrderItem), archive_name("order_items"), Base.metadata)


class MaintenanceRun(Base):
    """One run of a maintenance workflow and what it did (`actions`); `maintenance_last_run`
    (a view) shows the newest run of each kind."""

    __tablename__ = "maintenance_runs"
    __table_args__ = (
        Index("uq_maintenance_runs_workflow_run", "workflow_id", "run_id", unique=True),
        Index("ix_maintenance_runs_kind_started", "kind", "started_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    workflow_id: Mapped[str] = mapped_column(String(200))
    run_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), server_default="running")
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default="[]")
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = created_column()
    finished_at: Mapped[datetime | None]


class PartitionMove(Base):
    """A verified move of one table's quarter: counts and money sums before and after."""

    __tablename__ = "partition_moves"
    __table_args__ = (Index("ix_partition_moves_table_quarter", "table_name", "quarter"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    maintenance_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("maintenance_runs.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(20))  # archive | restore | recover | drain
    table_name: Mapped[str] = mapped_column(String(63))
    quarter: Mapped[str] = mapped_column(String(6))
    source: Mapped[str] = mapped_column(String(63))
    target: Mapped[str] = mapped_column(String(63))
    rows_before: Mapped[int] = mapped_column(BigInteger)
    sum_before: Mapped[Decimal] = mapped_column(Numeric(20, 2))
    rows_after: Mapped[int] = mapped_column(BigInteger)
    sum_after: Mapped[Decimal] = mapped_column(Numeric(20, 2))
    verified: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[str | None] = mapped_column(Text)
    moved_at: Mapped[datetime] = created_column()


class ArchiveHold(Base):
    """A restored quarter stays hot until `held_until`; retention skips it meanwhile."""

    __tablename__ = "archive_holds"

    quarter: Mapped[str] = mapped_column(String(6), primary_key=True)
    held_until: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_column()


class LegacyMigration(Base):
    """Resumable state of the online migration of one legacy (unpartitioned) table."""

    __tablename__ = "legacy_migrations"

    table_name: Mapped[str] = mapped_column(String(63), primary_key=True)
    key_column: Mapped[str] = mapped_column(String(63))
    phase: Mapped[str] = mapped_column(String(20), server_default="prepared")
    high_water: Mapped[int] = mapped_column(BigInteger, server_default="0")
    last_key: Mapped[int] = mapped_column(BigInteger, server_default="0")
    legacy_rows: Mapped[int] = mapped_column(BigInteger, server_default="0")
    copied_rows: Mapped[int] = mapped_column(BigInteger, server_default="0")
    replayed_change_id: Mapped[int] = mapped_column(BigInteger, server_default="0")
    changes_replayed: Mapped[int] = mapped_column(BigInteger, server_default="0")
    verification: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()
    swapped_at: Mapped[datetime | None]


class LegacyMigrationChange(Base):
    """Writes to a legacy table captured by trigger while it is copied; replayed in id order."""

    __tablename__ = "legacy_migration_changes"
    __table_args__ = (Index("ix_legacy_migration_changes_table_id", "table_name", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    table_name: Mapped[str] = mapped_column(String(63))
    legacy_id: Mapped[int] = mapped_column(BigInteger)
    old_row: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    logged_at: Mapped[datetime] = created_column()
