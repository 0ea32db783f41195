"""Inventory intelligence, the public entry: what to order, how much, from whom, and when.

Pure functions over pandas objects, no I/O; the inventory activities feed them rows from the
database and store what they return. Details and design choices: docs/inventory-analytics.md.
"""

from activities.inventory.anomalies import sales_anomalies, stock_anomalies
from activities.inventory.calendar import EVENTS, black_friday, shopping_calendar
from activities.inventory.demand import (
    DemandPattern,
    DemandProfile,
    Seasonality,
    aggregate_demand,
    classify_demand,
    daily_sales,
    daily_stock,
    demand_history,
    detect_seasonality,
)
from activities.inventory.forecast import (
    BatchForecast,
    demand_per_period,
    forecast_accuracy,
    forecast_demand,
    forecast_many,
    mase,
)
from activities.inventory.models import LEVEL
from activities.inventory.policy import (
    OrderQuantity,
    ReorderPoint,
    eoq,
    late_arrivals,
    order_by,
    reorder_point,
)
from activities.inventory.purchasing import PurchasePlan, PurchasingInfeasible, plan_purchases

__all__ = [
    "EVENTS",
    "LEVEL",
    "BatchForecast",
    "DemandPattern",
    "DemandProfile",
    "OrderQuantity",
    "PurchasePlan",
    "PurchasingInfeasible",
    "ReorderPoint",
    "Seasonality",
    "aggregate_demand",
    "black_friday",
    "classify_demand",
    "daily_sales",
    "daily_stock",
    "demand_history",
    "demand_per_period",
    "detect_seasonality",
    "eoq",
    "forecast_accuracy",
    "forecast_demand",
    "forecast_many",
    "late_arrivals",
    "mase",
    "order_by",
    "plan_purchases",
    "reorder_point",
    "sales_anomalies",
    "shopping_calendar",
    "stock_anomalies",
]
