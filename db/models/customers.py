"""Customers of a shop (keyed by Shoptet's GUID), and what the nightly customer analytics
stores about them: per-customer metrics, the model's track record (one report per run, which
is also the run's record), the item rules behind recommendations, and the per-run customer summaries the fit reads (a staging table, emptied after each run).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_column
from db.models.orders import EMAIL_KEY
from db.models.shop_runs import ShopRunRecord, shop_fk


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        Index("ix_customers_shop_email", "shop_id", "email"),
        Index("ix_customers_shop_changed", "shop_id", "changed_at"),
        # the identity key guest orders are matched on (customer analytics)
        Index("ix_customers_shop_email_key", "shop_id", text(EMAIL_KEY)),
    )

    shop_id: Mapped[int] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True
    )
    guid: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(50))
    full_name: Mapped[str | None] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str | None] = mapped_column(String(100))
    zip: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(2))
    customer_group: Mapped[str | None] = mapped_column(String(100))
    disabled_orders: Mapped[bool] = mapped_column(Boolean, server_default="false")
    created_at: Mapped[datetime | None]
    changed_at: Mapped[datetime | None]
    deleted: Mapped[bool] = mapped_column(Boolean, server_default="false")
    synced_at: Mapped[datetime] = mapped_column(server_default=func.now())


class CustomerModelReport(ShopRunRecord, Base):
    """One analytics run of one shop: its state, the chosen model and how it did on the holdout.
    Its status ends as completed, not_enough_data or failed."""

    __tablename__ = "customer_model_reports"

    observation_end: Mapped[datetime]
    calibration_end: Mapped[datetime]
    freq: Mapped[str] = mapped_column(String(4))
    holdout_periods: Mapped[int] = mapped_column(Integer)
    data_from: Mapped[datetime | None]
    data_to: Mapped[datetime | None]
    customers: Mapped[int] = mapped_column(BigInteger, server_default="0")
    repeat_buyers: Mapped[int] = mapped_column(BigInteger, server_default="0")
    orders: Mapped[int] = mapped_column(BigInteger, server_default="0")
    orders_without_customer: Mapped[int] = mapped_column(BigInteger, server_default="0")
    chosen_model: Mapped[str | None] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    holdout: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    holdout_mae: Mapped[float | None] = mapped_column(Float)
    baseline_mae: Mapped[float | None] = mapped_column(Float)
    beats_baseline: Mapped[bool | None] = mapped_column(Boolean)
    auc_p_alive: Mapped[float | None] = mapped_column(Float)
    predicted_purchases: Mapped[float | None] = mapped_column(Float)
    actual_purchases: Mapped[float | None] = mapped_column(Float)
    baseline_predicted_purchases: Mapped[float | None] = mapped_column(Float)
    bundles: Mapped[list[Any]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    item_rules: Mapped[int] = mapped_column(Integer, server_default="0")
    seconds: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))


class CustomerMetric(Base):
    """One customer's standing after the shop's latest run; model columns are NULL when the
    run had not enough data for a model (RFM scores and segment are still there)."""

    __tablename__ = "customer_metrics"
    __table_args__ = (
        Index("ix_customer_metrics_shop_at_risk", "shop_id", "clv_at_risk", "customer_key"),
        Index(
            "ix_customer_metrics_shop_segment_at_risk",
            "shop_id",
            "segment",
            "clv_at_risk",
            "customer_key",
        ),
        # a guest's e-mail, or one merged into a registered customer, finds its customer
        Index("ix_customer_metrics_shop_email", "shop_id", "email"),
        # the customers list sorted by expected profit (NULL, i.e. no model, sorts as 0)
        Index(
            "ix_customer_metrics_shop_clv_profit",
            "shop_id",
            text("coalesce(clv_profit_12m, 0)"),
            "customer_key",
        ),
    )

    shop_id: Mapped[int] = mapped_column(shop_fk(), primary_key=True)
    # customer_guid as text for registered customers, the e-mail key (lower, trimmed) for guests
    customer_key: Mapped[str] = mapped_column(String(320), primary_key=True)
    customer_guid: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # a guest's e-mail key, or the e-mail key of guest orders merged into a registered customer
    email: Mapped[str | None] = mapped_column(String(320))
    report_id: Mapped[int] = mapped_column(BigInteger)
    first_order_at: Mapped[datetime]
    last_order_at: Mapped[datetime]
    orders: Mapped[int] = mapped_column(Integer)
    frequency: Mapped[float] = mapped_column(Float)
    recency: Mapped[float] = mapped_column(Float)
    t: Mapped[float] = mapped_column(Float)
    monetary_value: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    total_value: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    p_alive: Mapped[float | None] = mapped_column(Float)
    expected_purchases_90d: Mapped[float | None] = mapped_column(Float)
    clv_12m: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    # churn_risk x the CLV the customer would bring if still active; 0 without a model
    clv_at_risk: Mapped[Decimal] = mapped_column(Numeric(14, 2), server_default="0")
    next_purchase_at: Mapped[datetime | None]
    churn_risk: Mapped[float | None] = mapped_column(Float)
    r_score: Mapped[int] = mapped_column(SmallInteger)
    f_score: Mapped[int] = mapped_column(SmallInteger)
    m_score: Mapped[int] = mapped_column(SmallInteger)
    fm_score: Mapped[int] = mapped_column(SmallInteger)
    segment: Mapped[str] = mapped_column(String(30))
    computed_at: Mapped[datetime]
    # profit (revision 1500; docs/customer-analytics.md, "Profit"): margin of the orders so far,
    # net of refunds; the margin share the CLV is scaled by; CLV as expected profit
    profit_total: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    margin_rate: Mapped[float | None] = mapped_column(Float)
    clv_profit_12m: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    # price sensitivity: share of the units bought at a discount, the buyer class
    # (full_price | mixed | discount_only; NULL: too few units) and whether to offer a discount
    # (offer | avoid; NULL: no advice)
    discount_share: Mapped[float | None] = mapped_column(Float)
    price_buyer: Mapped[str | None] = mapped_column(String(20))
    discount_advice: Mapped[str | None] = mapped_column(String(20))


class ProductElasticity(Base):
    """A product's (or category's) own-price elasticity from its past price changes, or why it
    is unknown; product rows also carry the regular price discounts are measured against."""

    __tablename__ = "product_elasticities"

    shop_id: Mapped[int] = mapped_column(shop_fk(), primary_key=True)
    scope: Mapped[str] = mapped_column(String(10), primary_key=True)  # product | category
    key: Mapped[str] = mapped_column(String(300), primary_key=True)  # item code | category
    name: Mapped[str | None] = mapped_column(String(300))
    category: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(10))  # estimated | unknown
    reason: Mapped[str | None] = mapped_column(Text)
    elasticity: Mapped[float | None] = mapped_column(Float)
    ci_low: Mapped[float | None] = mapped_column(Float)
    ci_high: Mapped[float | None] = mapped_column(Float)
    weeks: Mapped[int] = mapped_column(Integer)
    price_levels: Mapped[int] = mapped_column(Integer)
    price_spread: Mapped[float] = mapped_column(Float)  # max / min weekly price - 1
    units: Mapped[float] = mapped_column(Float)
    reference_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    report_id: Mapped[int] = mapped_column(BigInteger)
    computed_at: Mapped[datetime]


class CustomerItemRule(Base):
    """A pair rule mined from the shop's baskets: bought `item_code`, also offer `suggestion_code`."""

    __tablename__ = "customer_item_rules"

    shop_id: Mapped[int] = mapped_column(shop_fk(), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(100), primary_key=True)
    suggestion_code: Mapped[str] = mapped_column(String(100), primary_key=True)
    suggestion_name: Mapped[str | None] = mapped_column(String(300))
    count: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[float] = mapped_column(Float)
    lift: Mapped[float] = mapped_column(Float)
    rank: Mapped[int] = mapped_column(SmallInteger)
    report_id: Mapped[int] = mapped_column(BigInteger)


class CustomerRunSummary(Base):
    """Staging: each customer's summary over the whole history and over the calibration window,
    written chunk by chunk while orders stream, read once by the fit, then deleted."""

    __tablename__ = "customer_run_summaries"
    __table_args__ = ({"prefixes": ["UNLOGGED"]},)

    report_id: Mapped[int] = mapped_column(
        ForeignKey("customer_model_reports.id", ondelete="CASCADE"), primary_key=True
    )
    customer_key: Mapped[str] = mapped_column(String(320), primary_key=True)
    customer_guid: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    email: Mapped[str | None] = mapped_column(String(320))
    first_order_at: Mapped[datetime]
    last_order_at: Mapped[datetime]
    orders: Mapped[int] = mapped_column(Integer)
    frequency: Mapped[float] = mapped_column(Float)
    recency: Mapped[float] = mapped_column(Float)
    t: Mapped[float] = mapped_column(Float)
    monetary_value: Mapped[float] = mapped_column(Float)
    total_value: Mapped[float] = mapped_column(Float)
    # NULL for customers whose first purchase falls in the holdout
    cal_frequency: Mapped[float | None] = mapped_column(Float)
    cal_recency: Mapped[float | None] = mapped_column(Float)
    cal_t: Mapped[float | None] = mapped_column(Float)
    frequency_holdout: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = created_column()
    # profit and discounts of the whole history (revision 1500)
    profit_total: Mapped[float | None] = mapped_column(Float)
    units: Mapped[float | None] = mapped_column(Float)
    discounted_units: Mapped[float | None] = mapped_column(Float)


class CustomerRunMergedOrder(Base):
    """Staging: the guest orders of a run that belong to a registered customer (the one
    non-deleted customer of the shop with the order's e-mail), under that customer's GUID.
    Written once when the run starts, so each registered chunk reads them by GUID range and the
    guests phase skips their e-mails; deleted after the run."""

    __tablename__ = "customer_run_merged_orders"
    __table_args__ = (
        Index("ix_customer_run_merged_orders_email", "report_id", "email_key"),
        {"prefixes": ["UNLOGGED"]},
    )

    report_id: Mapped[int] = mapped_column(
        ForeignKey("customer_model_reports.id", ondelete="CASCADE"), primary_key=True
    )
    customer_guid: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(primary_key=True)
    email_key: Mapped[str] = mapped_column(String(320))
    total_with_vat: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    exchange_rate: Mapped[Decimal | None] = mapped_column(Numeric(16, 8))
