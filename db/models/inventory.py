"""What the nightly inventory planning stores: the stock history it records, and per shop the
latest run's forecasts, per-variant accuracy and stock policy, purchase recommendations, the
anomalies it found (kept, one row per variant, day and kind) and a report per run; and the
purchase orders the merchant placed, whose open lines the planning counts as stock on order.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy import ForeignKey as FK
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_column
from db.models.shop_runs import ShopRunRecord, shop_fk


class StockHistory(Base):
    """On-hand stock per variant at the end of a shop-local day, written by the nightly run.

    A row is written only when the stock differs from the variant's previous row, so readers
    carry a value forward over the days without a row (the table stays small for slow movers).
    Days that end with stock <= 0 are stock-outs: their demand is censored, not zero. The day is
    part of the key, so the table can be range-partitioned by day later without a new key.
    """

    __tablename__ = "stock_history"

    shop_id: Mapped[int] = mapped_column(shop_fk(), primary_key=True)
    variant_code: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    stock: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    observed_at: Mapped[datetime]


class InventoryRun(ShopRunRecord, Base):
    """One inventory planning run of one shop: its state and what it found (the run report)."""

    __tablename__ = "inventory_runs"

    as_of: Mapped[date] = mapped_column(Date)  # the last complete shop-local day of the history
    history_from: Mapped[date] = mapped_column(Date)
    horizon_days: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), server_default="CZK")
    variants_total: Mapped[int] = mapped_column(Integer, server_default="0")
    variants_forecast: Mapped[int] = mapped_column(Integer, server_default="0")
    stock_rows: Mapped[int] = mapped_column(Integer, server_default="0")
    recommendations: Mapped[int] = mapped_column(Integer, server_default="0")
    recommended_cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    anomalies_new: Mapped[int] = mapped_column(Integer, server_default="0")
    notifications: Mapped[int] = mapped_column(Integer, server_default="0")
    # mean backtest MASE of the chosen models and of seasonal naive, and their ratio
    mase: Mapped[float | None] = mapped_column(Float)
    naive_mase: Mapped[float | None] = mapped_column(Float)
    relative_mase: Mapped[float | None] = mapped_column(Float)
    beats_naive_share: Mapped[float | None] = mapped_column(Float)
    models: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    patterns: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    plan: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    seconds: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))


class InventoryForecast(Base):
    """Daily demand forecast of a variant for the horizon after the latest run's as_of day."""

    __tablename__ = "inventory_forecasts"

    shop_id: Mapped[int] = mapped_column(shop_fk(), primary_key=True)
    variant_code: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    mean: Mapped[float] = mapped_column(Float)
    lo: Mapped[float] = mapped_column(Float)  # 80 % interval
    hi: Mapped[float] = mapped_column(Float)
    naive: Mapped[float | None] = mapped_column(Float)  # seasonal naive, for comparison
    run_id: Mapped[int] = mapped_column(BigInteger)


class InventoryVariantMetric(Base):
    """One variant after the shop's latest run: demand class, chosen model and its backtest
    accuracy against seasonal naive, demand rate, stock policy and what it needs."""

    __tablename__ = "inventory_variant_metrics"

    shop_id: Mapped[int] = mapped_column(shop_fk(), primary_key=True)
    variant_code: Mapped[str] = mapped_column(String(100), primary_key=True)
    run_id: Mapped[int] = mapped_column(BigInteger)
    pattern: Mapped[str | None] = mapped_column(String(20))
    adi: Mapped[float | None] = mapped_column(Float)
    cv2: Mapped[float | None] = mapped_column(Float)
    model: Mapped[str] = mapped_column(String(40))
    season_length: Mapped[int] = mapped_column(Integer)
    n_observed: Mapped[int] = mapped_column(Integer)
    n_censored: Mapped[int] = mapped_column(Integer)
    mase: Mapped[float | None] = mapped_column(Float)
    naive_mase: Mapped[float | None] = mapped_column(Float)
    relative_mae: Mapped[float | None] = mapped_column(Float)
    backtest_mae: Mapped[float | None] = mapped_column(Float)
    naive_mae: Mapped[float | None] = mapped_column(Float)
    backtest_rmse: Mapped[float | None] = mapped_column(Float)
    # backtest MASE without and with the external regressors (promotions calendar, weather),
    # and the gain 1 - with / without; NULL where the run had no regressors for the variant
    mase_without_regressors: Mapped[float | None] = mapped_column(Float)
    mase_with_regressors: Mapped[float | None] = mapped_column(Float)
    regressor_gain: Mapped[float | None] = mapped_column(Float)
    # the regressor groups the forecast was given and kept ("weather,promotion"); NULL: none
    regressors_used: Mapped[str | None] = mapped_column(String(200))
    mean_demand: Mapped[float] = mapped_column(Float)  # units per day over the horizon
    sd_demand: Mapped[float] = mapped_column(Float)
    supplier_id: Mapped[int | None] = mapped_column(BigInteger)  # the cheapest offer's
    lead_time_days: Mapped[float] = mapped_column(Float)
    lead_time_sd_days: Mapped[float] = mapped_column(Float)
    safety_stock: Mapped[float] = mapped_column(Float)
    reorder_point: Mapped[float] = mapped_column(Float)
    on_hand: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    # open purchase-order units not yet received; on hand + on order is the stock position
    on_order: Mapped[Decimal] = mapped_column(Numeric(14, 3), server_default="0")
    eoq: Mapped[float | None] = mapped_column(Float)
    order_by: Mapped[date | None] = mapped_column(Date)
    need_quantity: Mapped[float] = mapped_column(Float, server_default="0")
    stockout_penalty: Mapped[float] = mapped_column(Float, server_default="0")


class InventoryRecommendation(Base):
    """A purchase to make: what, how much, from whom, by when and what it is expected to cost.
    Supplier-less rows are variants that need stock but have no supplier offer."""

    __tablename__ = "inventory_recommendations"
    __table_args__ = (Index("ix_inventory_recommendations_shop_id", "shop_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    shop_id: Mapped[int] = mapped_column(shop_fk())
    run_id: Mapped[int] = mapped_column(BigInteger)
    variant_code: Mapped[str] = mapped_column(String(100))
    variant_name: Mapped[str | None] = mapped_column(String(300))
    supplier_id: Mapped[int | None] = mapped_column(BigInteger)
    supplier_name: Mapped[str | None] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    packs: Mapped[int | None] = mapped_column(Integer)
    unit_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    purchase_cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    order_cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # share of the supplier's
    risk_cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    expected_cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))  # purchase + order cost
    currency: Mapped[str] = mapped_column(String(3), server_default="CZK")
    order_by: Mapped[date] = mapped_column(Date)
    lead_time_days: Mapped[float | None] = mapped_column(Float)
    on_hand: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    reorder_point: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    # supplier risk (revision 1600): the chosen offer's learnt on-time rate and lead-time spread;
    # the variant's primary supplier and, when it is late, out of stock or over budget, the
    # alternative (the chosen supplier itself when the plan already switched) and why
    on_time_rate: Mapped[float | None] = mapped_column(Float)
    lead_time_sd_days: Mapped[float | None] = mapped_column(Float)
    primary_supplier_name: Mapped[str | None] = mapped_column(String(200))
    alternative_supplier_id: Mapped[int | None] = mapped_column(BigInteger)
    alternative_supplier_name: Mapped[str | None] = mapped_column(String(200))
    # late | overdue | out_of_stock | over_budget | cheaper
    alternative_reason: Mapped[str | None] = mapped_column(String(20))


# The columns of a recommendation as the planner writes them and the API lists and exports them.
RECOMMENDATION_COLUMNS = (
    "variant_code",
    "variant_name",
    "supplier_id",
    "supplier_name",
    "quantity",
    "packs",
    "unit_price",
    "purchase_cost",
    "order_cost",
    "risk_cost",
    "expected_cost",
    "currency",
    "order_by",
    "lead_time_days",
    "on_hand",
    "reorder_point",
    "note",
    "on_time_rate",
    "lead_time_sd_days",
    "primary_supplier_name",
    "alternative_supplier_id",
    "alternative_supplier_name",
    "alternative_reason",
)


# The columns of an anomaly as the planner finds them (the API adds the id, the variant's name
# and when it was detected and notified).
ANOMALY_COLUMNS = (
    "variant_code",
    "day",
    "kind",
    "severity",
    "score",
    "sales",
    "expected",
    "lo",
    "hi",
    "stock_change",
    "unexplained",
    "purchase_order_id",
    "arrives_on",
    "bridge_quantity",
)


class InventoryAnomaly(Base):
    """Sales far outside the forecast interval, stock that moved without sales to explain it,
    or an open purchase order expected after the shelf runs empty. Found once: a later run that
    sees the same variant, day and kind adds nothing (a late order: the same order and
    expected day)."""

    __tablename__ = "inventory_anomalies"
    __table_args__ = (
        Index(
            "uq_inventory_anomalies_shop_variant_day_kind",
            "shop_id",
            "variant_code",
            "day",
            "kind",
            unique=True,
        ),
        Index("ix_inventory_anomalies_shop_id", "shop_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    shop_id: Mapped[int] = mapped_column(shop_fk())
    run_id: Mapped[int] = mapped_column(BigInteger)
    variant_code: Mapped[str] = mapped_column(String(100))
    day: Mapped[date] = mapped_column(Date)
    # sales_spike | sales_drop | drop_without_sales | drop_beyond_sales | jump |
    # late_purchase_order (day = the projected stock-out day)
    kind: Mapped[str] = mapped_column(String(30))
    severity: Mapped[str] = mapped_column(String(10))  # low | medium | high
    score: Mapped[float] = mapped_column(Float)
    sales: Mapped[float | None] = mapped_column(Float)
    # forecast mean (sales anomalies); units the late purchase order brings
    expected: Mapped[float | None] = mapped_column(Float)
    lo: Mapped[float | None] = mapped_column(Float)
    hi: Mapped[float | None] = mapped_column(Float)
    stock_change: Mapped[float | None] = mapped_column(Float)  # stock anomalies
    unexplained: Mapped[float | None] = mapped_column(Float)
    # late purchase orders: the order (a reference: anomalies outlive it), the shop-local day it
    # is expected, and the forecast demand until then that the shelf cannot cover
    purchase_order_id: Mapped[int | None] = mapped_column(BigInteger)
    arrives_on: Mapped[date | None] = mapped_column(Date)
    bridge_quantity: Mapped[float | None] = mapped_column(Float)
    # sales anomalies (revision 1600): ranked explanations, [{dimension, value, explained,
    # surprise, actual, expected, sentence, sentence_cs}], the strongest first
    causes: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    detected_at: Mapped[datetime] = created_column()
    notified_at: Mapped[datetime | None]


class PurchaseOrder(Base):
    """A purchase the merchant placed with a supplier (or without one). While it is open, its
    lines' unreceived units count as stock on order in the nightly planning."""

    __tablename__ = "purchase_orders"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'received', 'cancelled')", name="status"),
        Index("ix_purchase_orders_shop_status", "shop_id", "status", "id"),
        Index("ix_purchase_orders_shop_id", "shop_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    shop_id: Mapped[int] = mapped_column(shop_fk())
    supplier_id: Mapped[int | None] = mapped_column(
        FK("suppliers.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), server_default="open")
    currency: Mapped[str] = mapped_column(String(3), server_default="CZK")
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(FK("users.id", ondelete="SET NULL"))
    ordered_at: Mapped[datetime] = created_column()
    # ordered_at + the supplier's lead time (the shop's lead_time_days setting without one)
    expected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # sent to the supplier by e-mail (revision 0940)
    emailed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    emailed_to: Mapped[str | None] = mapped_column(String(320))


class PurchaseOrderLine(Base):
    """One variant of a purchase order: ordered and received units, and the agreed price.
    `recommendation_id` is the recommendation it was created from (recommendations are replaced
    by every run, so it is a reference, not a foreign key)."""

    __tablename__ = "purchase_order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("received_quantity >= 0", name="received_not_negative"),
        # the planning's on-order sum: outstanding lines of a shop's variants
        Index(
            "ix_purchase_order_lines_shop_variant",
            "shop_id",
            "variant_code",
            postgresql_where=text("received_quantity < quantity"),
        ),
        Index(
            "ix_purchase_order_lines_recommendation",
            "recommendation_id",
            postgresql_where=text("recommendation_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    purchase_order_id: Mapped[int] = mapped_column(
        FK("purchase_orders.id", ondelete="CASCADE"), index=True
    )
    shop_id: Mapped[int] = mapped_column(shop_fk())
    variant_code: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    received_quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3), server_default="0")
    unit_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    recommendation_id: Mapped[int | None] = mapped_column(BigInteger)


class Promotion(Base):
    """The merchant's own promotions calendar: a named promotion over whole shop-local days,
    for the whole shop or scoped to one variant or one category. The forecasts take it as a
    regressor where a backtest shows it helps (activities.inventory.forecast)."""

    __tablename__ = "promotions"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="promotions_ends_after_start"),
        Index("promotions_shop_days", "shop_id", "starts_on", "ends_on"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    shop_id: Mapped[int] = mapped_column(shop_fk())
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    variant_code: Mapped[str | None] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_column()


class WeatherDay(Base):
    """One region's weather on one day (mean temperature °C, precipitation mm), imported from
    an Open-Meteo-compatible archive or a CSV upload (activities.inventory.weather_import)."""

    __tablename__ = "weather_daily"
    __table_args__ = (
        CheckConstraint("precipitation_sum >= 0", name="weather_daily_precipitation"),
    )

    region: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    temperature_mean: Mapped[float] = mapped_column(Float)
    precipitation_sum: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(20))  # http | csv
    imported_at: Mapped[datetime] = created_column()
