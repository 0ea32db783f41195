"""Every router of the API, in the order they are mounted."""

from fastapi import APIRouter

from api.routes import (
    admin_db,
    audit_log,
    auth,
    backups,
    channels,
    customers,
    health,
    install,
    inventory,
    metrics,
    monitoring,
    notifications,
    orders,
    settings,
    shops,
    snapshots,
    suppliers,
    system,
    webhooks,
)

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
    inventory.orders_router,
    suppliers.router,
    channels.router,
]
