"""Activities that check the worker's own dependencies."""

from __future__ import annotations

import socket

from sqlalchemy import text
from temporalio import activity

from db.engine import session_scope
from db.redis_client import redis_client
from workflows.system import DependencyReport


@activity.defn
async def check_dependencies() -> DependencyReport:
    async with session_scope() as session:
        shops = (await session.execute(text("SELECT count(*) FROM shops"))).scalar_one()
    # redis-py leaves ping's **kwargs untyped
    pong = await redis_client().ping()  # pyright: ignore[reportUnknownMemberType]
    return DependencyReport(
        database="up", redis="up" if pong else "down", shops=int(shops), worker=socket.gethostname()
    )
