"""supplier risk and anomaly root causes

- `supplier_offers.supplier_stock`: units the supplier says it has (NULL: not known, no limit);
  0 is out of stock, and the purchasing MILP takes it as the offer's capacity.
- `suppliers` and `supplier_offers` keep the delivery record the nightly planning learnt from
  their purchase orders (lead time and spread, on-time rate, deliveries, late, overdue, when),
  for the suppliers page.
- `inventory_recommendations` names the variant's primary supplier and the alternative proposed
  when the primary is late (low on-time rate, an overdue open order), out of stock or over
  budget, with the reason and the chosen offer's learnt on-time rate and lead-time spread.
- `inventory_anomalies.causes`: a sales anomaly's ranked explanations (channel, region, price
  change, stock-out, promotion, a single customer), each with a sentence in English and Czech.

Revision ID: 1600
Revises: 1500
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "1600"
down_revision: str | None = "1500"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECORD_COLUMNS = (
    ("learnt_lead_time_days", sa.Float()),
    ("learnt_lead_time_sd_days", sa.Float()),
    ("on_time_rate", sa.Float()),
    ("deliveries", sa.Integer()),
    ("late_deliveries", sa.Integer()),
    ("overdue_orders", sa.Integer()),
    ("learnt_at", sa.DateTime(timezone=True)),
)
RECOMMENDATION_COLUMNS = (
    ("on_time_rate", sa.Float()),
    ("lead_time_sd_days", sa.Float()),
    ("primary_supplier_name", sa.String(200)),
    ("alternative_supplier_id", sa.BigInteger()),
    ("alternative_supplier_name", sa.String(200)),
    ("alternative_reason", sa.String(20)),
)


def upgrade() -> None:
    op.add_column("supplier_offers", sa.Column("supplier_stock", sa.Numeric(14, 3), nullable=True))
    for table in ("suppliers", "supplier_offers"):
        for name, kind in RECORD_COLUMNS:
            op.add_column(table, sa.Column(name, kind, nullable=True))
    for name, kind in RECOMMENDATION_COLUMNS:
        op.add_column("inventory_recommendations", sa.Column(name, kind, nullable=True))
    op.add_column("inventory_anomalies", sa.Column("causes", JSONB(), nullable=True))


def downgrade() -> None:
    op.drop_column("inventory_anomalies", "causes")
    for name, _ in reversed(RECOMMENDATION_COLUMNS):
        op.drop_column("inventory_recommendations", name)
    for table in ("suppliers", "supplier_offers"):
        for name, _ in reversed(RECORD_COLUMNS):
            op.drop_column(table, name)
    op.drop_column("supplier_offers", "supplier_stock")
