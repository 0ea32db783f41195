"""Every router of the API, in the order they are mounted."""

from fastapi import APIRouter

from api.routes import auth, health, notifications, shops, system

ROUTERS: list[APIRouter] = [
    health.router,
    auth.router,
    shops.router,
    notifications.router,
    system.router,
]
