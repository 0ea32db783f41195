"""webhook outbox: `received` rows are the outbox; unsigned attempts leave the shop's list

- a partial index on the outbox (`status = 'received'`), which the sweep reads by id;
- a CHECK that keeps `event_created` within years 1900..2999 (a year-1 time made the event
  list answer 500), after nulling such values already stored;
- rejected attempts no longer belong to a shop (`shop_id` NULL): they were not verified.

Revision ID: 0920
Revises: 0910
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0920"
down_revision: str | None = "0910"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SANE = "event_created IS NULL OR (event_created >= '1900-01-01' AND event_created < '3000-01-01')"


def upgrade() -> None:
    op.execute(f"UPDATE webhook_events SET event_created = NULL WHERE NOT ({SANE})")
    op.execute("UPDATE webhook_events SET shop_id = NULL WHERE status = 'rejected'")
    op.execute(f"ALTER TABLE webhook_events ADD CONSTRAINT ck_webhook_events_created_sane CHECK ({SANE})")
    op.execute("CREATE INDEX ix_webhook_events_outbox ON webhook_events (id) WHERE status = 'received'")


def downgrade() -> None:
    op.execute("DROP INDEX ix_webhook_events_outbox")
    op.execute("ALTER TABLE webhook_events DROP CONSTRAINT ck_webhook_events_created_sane")
