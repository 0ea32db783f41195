"""Every router of the API, in the order they are mounted."""

from fastapi import APIRouter

from api.routes import (
    admin_db,
    audit_log,
    auth,
    channels,
    customers,
    exports,
    feeds,
    health,
    install,
    metrics,
    monitoring,
    notifications,
    orders,
    outbound_webhooks,
    reports,
    resellers,
    search,
    settings,
    shops,
    snapshots,
    system,
    usage,
    webhooks,
)
from api.routes import safety as backups
from api.routes.inventory import planning as inventory
from api.routes.inventory import promotions, purchase_orders, suppliers
from api.routes.inventory import weather as weather_series

ROUTERS: list[APIRouter] = [
    health.router,
    auth.router,
    shops.router,
    notifications.router,
    system.router,
    snapshots.router,
    webhooks.router,
    install.router,
    settings.router,
    backups.router,
    orders.router,
    admin_db.router,
    audit_log.router,
    monitoring.router,
    metrics.router,
    customers.router,
    inventory.router,
    promotions.router,
    purchase_orders.router,
    suppliers.router,
    weather_series.router,
    feeds.router,
    resellers.router,
    resellers.b2b,
    search.router,
    exports.signed,
    reports.router,
    usage.router,
    channels.router,
    exports.router,
    outbound_webhooks.router,
]
