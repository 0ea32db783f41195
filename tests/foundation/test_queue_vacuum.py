"""The webhook queue table is vacuumed after a fixed number of dead rows, not 20 % of its size
(migration 2200): its claims scan the `received` entries, dead ones included, until a vacuum."""

from __future__ import annotations

import psycopg


def test_webhook_events_vacuum_threshold_is_fixed(database_url: str) -> None:
    with psycopg.connect(database_url.replace("+psycopg", "")) as conn:
        row = conn.execute("SELECT reloptions FROM pg_class WHERE oid = 'webhook_events'::regclass").fetchone()
    options = set(row[0] or []) if row else set()
    assert {"autovacuum_vacuum_scale_factor=0", "autovacuum_vacuum_threshold=5000",
            "autovacuum_analyze_scale_factor=0", "autovacuum_analyze_threshold=5000"} <= options
