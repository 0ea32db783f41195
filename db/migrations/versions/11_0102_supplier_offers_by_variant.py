"""Supplier offers by shop and variant (the purchasing plan reads them per chunk of variants).

Revision ID: 0102
Revises: 0700
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0102"
down_revision: str | None = "0700"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_supplier_offers_shop_variant",
            "supplier_offers",
            ["shop_id", "variant_code"],
            postgresql_concurrently=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index("ix_supplier_offers_shop_variant", table_name="supplier_offers", postgresql_concurrently=True)
