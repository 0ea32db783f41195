"""Declarative base and the column types every business table shares."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from sqlalchemy import BigInteger, DateTime, MetaData, Numeric, Table, func
from sqlalchemy.orm import DeclarativeBase, MappedColumn, mapped_column

# Stable constraint names so alembic revisions and downgrades can refer to them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Annotated[Decimal, mapped_column(Numeric(14, 2))]
Quantity = Annotated[Decimal, mapped_column(Numeric(14, 3))]
Timestamp = Annotated[datetime, mapped_column(DateTime(timezone=True))]
ShopId = Annotated[int, mapped_column(BigInteger, index=False)]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: DateTime(timezone=True), int: BigInteger}


def created_column() -> MappedColumn[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


def updated_column() -> MappedColumn[datetime]:
    return mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


def table_of(model: type[Base]) -> Table:
    """A mapped class's Table (`Model.__table__` is typed as any FromClause)."""
    return Base.metadata.tables[model.__tablename__]
