"""weather series: daily weather per region, and which regressors each variant's forecast uses

weather_daily holds one row per region and day (mean temperature °C, precipitation mm),
imported nightly from an Open-Meteo-compatible archive or uploaded as CSV; the inventory
forecasts take it as a regressor where a backtest shows it helps. regressors_used names the
regressor groups a variant's forecast was given and kept (e.g. "weather,promotion").

Revision ID: 2000
Revises: 1900
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2000"
down_revision: str | None = "1900"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "weather_daily",
        sa.Column("region", sa.String(100), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("temperature_mean", sa.Float(), nullable=False),
        sa.Column("precipitation_sum", sa.Float(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column(
            "imported_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("precipitation_sum >= 0", name="weather_daily_precipitation"),
    )
    op.add_column("inventory_variant_metrics", sa.Column("regressors_used", sa.String(200)))


def downgrade() -> None:
    op.drop_column("inventory_variant_metrics", "regressors_used")
    op.drop_table("weather_daily")
