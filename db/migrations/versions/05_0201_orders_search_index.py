"""orders search index, built concurrently; pg_stat_statements for the index audit

CREATE INDEX CONCURRENTLY does not work on a partitioned parent, so the index is created
ON ONLY the parent (invalid, blocks nothing), then concurrently on each partition, and each
partition's index is attached; the parent index turns valid when the last one is attached.
Maintenance makes later partitions with `LIKE orders INCLUDING ALL`, which brings the index.

Revision ID: 0201
Revises: 0200
"""

import logging
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0201"
down_revision: str | None = "0200"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")

INDEX = "ix_orders_search_trgm"
COLUMNS = "code gin_trgm_ops, email gin_trgm_ops, billing_name gin_trgm_ops"


def _partitions(bind: sa.Connection) -> list[str]:
    return list(bind.execute(sa.text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'orders'::regclass ORDER BY c.relname"
    )).scalars())


def _index_state(bind: sa.Connection, name: str) -> tuple[bool, bool] | None:
    """(valid, attached to the parent index) of an index, or None when it does not exist."""
    row = bind.execute(sa.text(
        "SELECT x.indisvalid, EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = x.indexrelid "
        "AND i.inhparent = to_regclass(:parent)) FROM pg_index x WHERE x.indexrelid = to_regclass(:name)"
    ), {"name": name, "parent": INDEX}).first()
    return (row[0], row[1]) if row else None


def upgrade() -> None:
    op.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON ONLY orders USING gin ({COLUMNS})")
    bind = op.get_bind()
    with op.get_context().autocommit_block():
        for partition in _partitions(bind):
            name = f"{partition}_search_idx"
            state = _index_state(bind, name)
            if state and not state[0]:  # left invalid by an interrupted concurrent build
                op.execute(f"DROP INDEX CONCURRENTLY {name}")
                state = None
            if state is None:
                op.execute(f"CREATE INDEX CONCURRENTLY {name} ON {partition} USING gin ({COLUMNS})")
            if not (state and state[1]):
                op.execute(f"ALTER INDEX {INDEX} ATTACH PARTITION {name}")
    try:
        with bind.begin_nested():
            op.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    except sa.exc.DBAPIError as exc:  # not superuser: the audit reports it as unavailable
        log.warning("pg_stat_statements not created (%s); the index audit will say so", exc.orig)


def downgrade() -> None:
    # pg_stat_statements stays: it may have been there before, and it costs nothing unloaded.
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")
