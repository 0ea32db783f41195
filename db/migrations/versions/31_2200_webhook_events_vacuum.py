"""webhook_events: vacuumed after 5 000 dead rows, whatever the table's size

Every notification is inserted `received` and updated `dispatched` within a second; the update
cannot be HOT (`status` is in two partial indexes' predicates), so each one leaves a dead row and
dead index entries. With the default scale factor (20 % of the table) a table of a million
events waits for 200 000 dead rows, and the coalesced sync claim (`status = 'received'` for a
shop, a bitmap scan of the outbox index) read all their entries: 42 ms per claim at 188 000
dead rows in `make load`, against 0.1 ms right after a vacuum. A queue table gets a fixed
threshold instead.

Revision ID: 2200
Revises: 2100
"""

from collections.abc import Sequence

from alembic import op

revision: str = "2200"
down_revision: str | None = "2100"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUE_VACUUM = (
    "autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 5000, "
    "autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 5000"
)


def upgrade() -> None:
    op.execute(f"ALTER TABLE webhook_events SET ({QUEUE_VACUUM})")


def downgrade() -> None:
    op.execute(
        "ALTER TABLE webhook_events RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold, "
        "autovacuum_analyze_scale_factor, autovacuum_analyze_threshold)"
    )
