"""Sales channel syncs whose last run failed (bad keys, a store down past the retries): the
connections marked `failing`, with the error the merchant can act on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from db.engine import session_factory
from infra.monitoring.checks import Check, Context, Measurement


async def collect(ctx: Context) -> dict[str, Any]:
    async with session_factory()() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT c.id, c.shop_id, s.name AS shop, c.kind, c.name, c.last_error, c.last_error_at "
                    "FROM channel_connections c JOIN shops s ON s.id = c.shop_id "
                    "WHERE c.status = 'failing' ORDER BY c.last_error_at DESC NULLS LAST LIMIT 50"
                )
            )
        ).mappings().all()
    return {
        "failing": [
            {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()} for row in rows
        ]
    }


def _failing(data: dict[str, Any], _: dict[str, float]) -> Measurement:
    failing = data["failing"]
    return Measurement(
        len(failing),
        f"{len(failing)} channel connection(s) whose last sync failed",
        failing[:10],
        summary_cs=f"propojení prodejních kanálů s chybou poslední synchronizace: {len(failing)}",
    )


CHECKS = [
    Check(
        "channel_sync_failing",
        "channels",
        "Sales channel connections (WooCommerce) whose last sync failed.",
        _failing,
        warn=1,
        critical=None,
        unit="connections",
        description_cs="Propojení prodejních kanálů (WooCommerce), jejichž poslední synchronizace selhala.",
    ),
]
