"""Database health checks as data: each a name, one query, its thresholds, and a state.

Modelled on PgHero, with its default thresholds (slow statement: mean ≥ 20 ms over ≥ 100
calls; long-running query: 60 s; index used < 95 % of scans on a table of ≥ 10 000 rows;
unused index: 0 scans; cache hit rate below 99 %). Each query returns the findings, so a
check is "ok" when it returns no rows and "warning" otherwise; "unavailable" says why a check
could not run (pg_stat_statements not loaded, say). Statistics of partitions are summed up to
their partitioned table and index, so a finding names `orders`, not forty quarters.

The monitoring page reuses `CHECKS` and `run_audit`; the CLI (`shopops maintenance
index-audit`) and `GET /api/admin/db/index-audit` print them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

# (table, leading index columns, access method) every access path of the app relies on.
# (pg_index.indkey is an int2vector, indexed from 0; string_to_array gives a 1-based array.)
ACCESS_PATHS: list[tuple[str, list[str], str]] = [
    (
        "orders",
        ["shop_id", "created_at", "code"],
        "btree",
    ),  # orders list, keyset on (created_at, code)
    ("orders", ["shop_id", "status_id", "created_at"], "btree"),  # status filter, status counts
    ("orders", ["shop_id", "code"], "btree"),  # order detail by code
    ("orders", ["shop_id", "email"], "btree"),  # a customer's orders
    ("orders", ["code", "email", "billing_name"], "gin"),  # q search (trigram)
    ("orders_archive", ["shop_id", "created_at", "code"], "btree"),
    ("orders_archive", ["code", "email", "billing_name"], "gin"),
    ("order_items", ["shop_id", "order_code"], "btree"),  # items of an order
    ("order_items_archive", ["shop_id", "order_code"], "btree"),
    ("customers", ["shop_id", "email"], "btree"),
    ("products", ["shop_id", "visibility"], "btree"),  # visible products of a shop
    ("product_translations", ["shop_id", "product_guid", "locale"], "btree"),
]

STATEMENTS_NOT_LOADED = (
    "pg_stat_statements is installed but not loaded: add shared_preload_libraries = "
    "'pg_stat_statements' to postgresql.conf and restart PostgreSQL; slow statements cannot "
    "be listed until then"
)
STATEMENTS_MISSING = (
    "the pg_stat_statements extension is not installed in this database (revision 0201 creates "
    "it when the migrating role may); run CREATE EXTENSION pg_stat_statements as a superuser"
)


@dataclass(frozen=True)
class Check:
    name: str
    description: str
    query: str  # returns one row per finding; binds the thresholds by name
    thresholds: dict[str, Any] = field(default_factory=dict[str, Any])
    needs_statements: bool = False  # reads pg_stat_statements


@dataclass(frozen=True)
class CheckResult:
    name: str
    description: str
    state: str  # ok | warning | unavailable
    thresholds: dict[str, Any]
    summary: str
    rows: list[dict[str, Any]]


CHECKS: list[Check] = [
    Check(
        "slow_statements",
        "Statements whose mean time (planning + execution) is at least slow_query_ms over at least slow_query_calls calls.",
        """
        SELECT left(s.query, 500) AS query, s.calls,
               round(((s.total_plan_time + s.total_exec_time) / s.calls)::numeric, 2) AS mean_ms,
               round(((s.total_plan_time + s.total_exec_time) / 60000)::numeric, 2) AS total_minutes
        FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
        WHERE d.datname = current_database() AND s.calls >= :slow_query_calls
          AND (s.total_plan_time + s.total_exec_time) / s.calls >= :slow_query_ms
        ORDER BY s.total_plan_time + s.total_exec_time DESC LIMIT 50
        """,
        {"slow_query_ms": 20, "slow_query_calls": 100},
        needs_statements=True,
    ),
    Check(
        "long_running_queries",
        "Queries of this database running longer than long_running_query_sec.",
        """
        SELECT pid, state, round(extract(epoch FROM now() - coalesce(query_start, xact_start))::numeric, 1) AS seconds,
               left(query, 500) AS query
        FROM pg_stat_activity
        WHERE datname = current_database() AND state <> 'idle' AND pid <> pg_backend_pid()
          AND now() - coalesce(query_start, xact_start) > make_interval(secs => :long_running_query_sec)
        ORDER BY seconds DESC
        """,
        {"long_running_query_sec": 60},
    ),
    Check(
        "sequential_scans",
        "Tables of at least large_table_rows rows read by index in fewer than index_usage_percent % of scans.",
        """
        SELECT tbl AS table, seq_scan, idx_scan, live_rows,
               CASE WHEN seq_scan + idx_scan > 0 THEN round(100.0 * idx_scan / (seq_scan + idx_scan), 1) END AS index_percent
        FROM (SELECT coalesce(pg_partition_root(relid), relid)::regclass::text AS tbl, sum(seq_scan) AS seq_scan,
                     sum(coalesce(idx_scan, 0)) AS idx_scan, sum(n_live_tup) AS live_rows
              FROM pg_stat_user_tables GROUP BY 1) t
        WHERE live_rows >= :large_table_rows AND seq_scan > 0
          AND 100.0 * idx_scan / (seq_scan + idx_scan) < :index_usage_percent
        ORDER BY live_rows DESC
        """,
        {"large_table_rows": 10000, "index_usage_percent": 95},
    ),
    Check(
        "unused_indexes",
        "Non-unique indexes with no more than max_scans scans since statistics were reset.",
        """
        SELECT coalesce(pg_partition_root(i.indrelid), i.indrelid)::regclass::text AS table,
               coalesce(pg_partition_root(i.indexrelid), i.indexrelid)::regclass::text AS index,
               sum(s.idx_scan) AS scans, pg_size_pretty(sum(pg_relation_size(i.indexrelid))) AS size
        FROM pg_index i JOIN pg_stat_user_indexes s ON s.indexrelid = i.indexrelid
        WHERE NOT i.indisunique
        GROUP BY 1, 2 HAVING sum(s.idx_scan) <= :max_scans
        ORDER BY sum(pg_relation_size(i.indexrelid)) DESC, 2
        """,
        {"max_scans": 0},
    ),
    Check(
        "duplicate_indexes",
        "Indexes whose columns are a leading part of another index on the same table (same method).",
        """
        WITH ix AS (
            SELECT i.indexrelid, i.indrelid, string_to_array(i.indkey::text, ' ')::int2[] AS cols, c.relam, i.indisunique, i.indisprimary
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND i.indisvalid
              AND i.indexprs IS NULL AND i.indpred IS NULL
              AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
        )
        SELECT DISTINCT ON (a.indexrelid) a.indrelid::regclass::text AS table,
               a.indexrelid::regclass::text AS unneeded, b.indexrelid::regclass::text AS covered_by
        FROM ix a JOIN ix b ON a.indrelid = b.indrelid AND a.indexrelid <> b.indexrelid AND a.relam = b.relam
        WHERE NOT a.indisunique AND NOT a.indisprimary
          AND a.cols = b.cols[1:array_length(a.cols, 1)]
          AND (array_length(a.cols, 1) < array_length(b.cols, 1) OR a.indexrelid > b.indexrelid)
        ORDER BY a.indexrelid, array_length(b.cols, 1), b.indexrelid
        """,
    ),
    Check(
        "invalid_indexes",
        "Indexes left invalid (an interrupted CREATE INDEX CONCURRENTLY); drop and rebuild them.",
        """
        SELECT c.relname AS index, i.indrelid::regclass::text AS table
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT i.indisvalid AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
        ORDER BY 1
        """,
    ),
    Check(
        "missing_access_path_indexes",
        "Access paths of the app (table, leading columns, method) with no valid index serving them.",
        """
        SELECT p.tbl AS table, p.cols AS columns, p.method
        FROM json_to_recordset(CAST(:access_paths AS json)) AS p(tbl text, cols text[], method text)
        WHERE NOT EXISTS (
            SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
            WHERE i.indrelid = to_regclass(p.tbl) AND i.indpred IS NULL AND am.amname = p.method
              AND (i.indisvalid OR c.relkind = 'I')
              AND ARRAY(SELECT a.attname::text FROM unnest((string_to_array(i.indkey::text, ' ')::int2[])[1:array_length(p.cols, 1)])
                        WITH ORDINALITY k(attnum, n)
                        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n) = p.cols
        )
        """,
        {"access_paths": [{"tbl": t, "cols": c, "method": m} for t, c, m in ACCESS_PATHS]},
    ),
    Check(
        "cache_hit_rate",
        "Share of table and index reads served from shared buffers, below cache_hit_rate_percent.",
        """
        SELECT kind, round(100 * rate, 2) AS percent FROM (
            SELECT 'tables' AS kind, sum(heap_blks_hit) / nullif(sum(heap_blks_hit + heap_blks_read), 0) AS rate
            FROM pg_statio_user_tables
            UNION ALL
            SELECT 'indexes', sum(idx_blks_hit) / nullif(sum(idx_blks_hit + idx_blks_read), 0)
            FROM pg_statio_user_indexes) r
        WHERE rate IS NOT NULL AND 100 * rate < :cache_hit_rate_percent
        """,
        {"cache_hit_rate_percent": 99},
    ),
]


def _bind(check: Check, thresholds: dict[str, Any]) -> dict[str, Any]:
    return {k: json.dumps(v) if isinstance(v, list) else v for k, v in thresholds.items()}


async def statements_problem(session: AsyncSession) -> str | None:
    """Why pg_stat_statements cannot be read, or None when it can (the audit and the
    monitoring page both ask)."""
    installed = (
        await session.execute(
            text("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'")
        )
    ).first()
    if not installed:
        return STATEMENTS_MISSING
    try:
        async with session.begin_nested():
            await session.execute(text("SELECT 1 FROM pg_stat_statements LIMIT 1"))
    except DBAPIError as exc:
        if (
            getattr(exc.orig, "sqlstate", None) == "55000"
        ):  # must be loaded via shared_preload_libraries
            return STATEMENTS_NOT_LOADED
        return f"pg_stat_statements cannot be read: {exc.orig}"
    return None


async def run_check(
    session: AsyncSession, check: Check, overrides: dict[str, Any] | None = None
) -> CheckResult:
    thresholds = {
        **check.thresholds,
        **{k: v for k, v in (overrides or {}).items() if k in check.thresholds},
    }
    shown = {k: v for k, v in thresholds.items() if k != "access_paths"}
    if check.needs_statements and (problem := await statements_problem(session)):
        return CheckResult(check.name, check.description, "unavailable", shown, problem, [])
    rows = [
        dict(r)
        for r in (await session.execute(text(check.query), _bind(check, thresholds))).mappings()
    ]
    rows = [
        {k: v if isinstance(v, str | int | float | list | None) else str(v) for k, v in r.items()}
        for r in rows
    ]
    summary = "nothing found" if not rows else f"{len(rows)} finding(s)"
    return CheckResult(
        check.name, check.description, "warning" if rows else "ok", shown, summary, rows
    )


async def run_audit(
    session: AsyncSession, overrides: dict[str, Any] | None = None
) -> list[CheckResult]:
    """Every check, in order; `overrides` replaces thresholds by name (e.g. slow_query_ms)."""
    return [await run_check(session, check, overrides) for check in CHECKS]
