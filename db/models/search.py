"""One search document per product, order and customer (revision 1400; see db.search)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, Numeric, String, Text, func, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base


class SearchEntry(Base):
    __tablename__ = "search_documents"
    __table_args__ = (
        # one full-text index per kind (revision 1900): the search box groups by kind
        *(
            Index(
                f"ix_search_documents_{kind}", "document",
                postgresql_using="gin", postgresql_where=text(f"kind = '{kind}'"),
            )
            for kind in ("product", "order", "customer")
        ),
        # partial codes and SKUs: a btree prefix range on the folded code, shop first
        Index(
            "ix_search_documents_code", "shop_id", text("shopops_fold(code) text_pattern_ops"),
            postgresql_where=text("code IS NOT NULL"),
        ),
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


class SearchWord(Base):
    """A shop's vocabulary (revision 1900): its lexemes without digits, kept by statement
    triggers on `search_documents`; prefixes expand and typos are corrected against it."""

    __tablename__ = "search_words"
    __table_args__ = (
        Index(
            "ix_search_words_trgm", "word",
            postgresql_using="gin", postgresql_ops={"word": "gin_trgm_ops"},
        ),
    )

    shop_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True
    )
    word: Mapped[str] = mapped_column(Text(collation="C"), primary_key=True)
