"""customer identity: guest orders merge into the registered customer with their e-mail

Expression indexes on the normalised e-mail `lower(btrim(email))`: on guest orders (hot and
archive, partial `WHERE customer_guid IS NULL`) for the guests' keyset and the merged orders'
lookup, and on customers for the e-mail match. CREATE INDEX CONCURRENTLY does not work on a
partitioned parent, so, as in 0201, each parent gets its index ON ONLY (invalid, blocks
nothing), each partition its own built concurrently, attached; the parent index turns valid
when the last one is attached. The staging table `customer_run_merged_orders` holds each run's
guest orders that belong to a registered customer, under its GUID; `customer_metrics` gets an index on (shop_id, email) so a guest e-mail
finds its customer.

Revision ID: 0910
Revises: 0901
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0910"
down_revision: str | None = "0901"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EMAIL_KEY = "lower(btrim(email))"
GUEST_ORDERS = f"(shop_id, {EMAIL_KEY}) WHERE customer_guid IS NULL"
PARENTS = {
    "orders": "ix_orders_shop_guest_email_key",
    "orders_archive": "ix_orders_archive_shop_guest_email_key",
}


def _partitions(bind: sa.Connection, parent: str) -> list[str]:
    return list(
        bind.execute(
            sa.text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = CAST(:parent AS regclass) ORDER BY c.relname"
            ),
            {"parent": parent},
        ).scalars()
    )


def _index_state(bind: sa.Connection, name: str, parent_index: str) -> tuple[bool, bool] | None:
    """(valid, attached to the parent index) of an index, or None when it does not exist."""
    row = bind.execute(
        sa.text(
            "SELECT x.indisvalid, EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = "
            "x.indexrelid AND i.inhparent = to_regclass(:parent)) FROM pg_index x "
            "WHERE x.indexrelid = to_regclass(:name)"
        ),
        {"name": name, "parent": parent_index},
    ).first()
    return (row[0], row[1]) if row else None


def _partitioned_index(bind: sa.Connection, parent: str, index: str) -> None:
    """The guest e-mail index on a partitioned parent without blocking writes (resumable)."""
    op.execute(f"CREATE INDEX IF NOT EXISTS {index} ON ONLY {parent} {GUEST_ORDERS}")
    with op.get_context().autocommit_block():
        for partition in _partitions(bind, parent):
            name = f"{partition}_guest_email_key_idx"
            state = _index_state(bind, name, index)
            if state and not state[0]:  # left invalid by an interrupted concurrent build
                op.execute(f"DROP INDEX CONCURRENTLY {name}")
                state = None
            if state is None:
                op.execute(f"CREATE INDEX CONCURRENTLY {name} ON {partition} {GUEST_ORDERS}")
            if not (state and state[1]):
                op.execute(f"ALTER INDEX {index} ATTACH PARTITION {name}")


def upgrade() -> None:
    bind = op.get_bind()
    for parent, index in PARENTS.items():
        _partitioned_index(bind, parent, index)
    with op.get_context().autocommit_block():
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_customers_shop_email_key "
            f"ON customers (shop_id, {EMAIL_KEY})"
        )
        op.execute(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_customer_metrics_shop_email "
            "ON customer_metrics (shop_id, email)"
        )
    op.create_table(
        "customer_run_merged_orders",
        sa.Column("report_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_guid", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("email_key", sa.String(length=320), nullable=False),
        sa.Column("total_with_vat", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("exchange_rate", sa.Numeric(precision=16, scale=8), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["customer_model_reports.id"],
            name=op.f("fk_customer_run_merged_orders_report_id_customer_model_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "report_id",
            "customer_guid",
            "code",
            "created_at",
            name=op.f("pk_customer_run_merged_orders"),
        ),
        prefixes=["UNLOGGED"],
    )
    op.create_index(
        "ix_customer_run_merged_orders_email",
        "customer_run_merged_orders",
        ["report_id", "email_key"],
    )


def downgrade() -> None:
    op.drop_table("customer_run_merged_orders")
    op.drop_index("ix_customer_metrics_shop_email", table_name="customer_metrics")
    op.drop_index("ix_customers_shop_email_key", table_name="customers")
    for index in reversed(PARENTS.values()):
        op.execute(f"DROP INDEX IF EXISTS {index}")
