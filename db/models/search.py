"""One search document per product, order and customer (revision 1400; see db.search)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, Numeric, String, Text, func
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class SearchEntry(Base):
    __tablename__ = "search_documents"
    __table_args__ = (
        Index("ix_search_documents_document", "document", postgresql_using="gin"),
        Index(
            "ix_search_documents_keys", "keys",
            postgresql_using="gin", postgresql_ops={"keys": "gin_trgm_ops"},
        ),
    )

    shop_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    ref: Mapped[str] = mapped_column(String(100), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    code: Mapped[str | None] = mapped_column(String(100))
    subtitle: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(Text)
    brand: Mapped[str | None] = mapped_column(Text)
    price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    keys: Mapped[str] = mapped_column(Text)  # short fields folded to lower-case ASCII
    document: Mapped[str] = mapped_column(TSVECTOR)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
