"""Monitoring activities: pg_stat_statements deltas and table sizes into snapshot tables, pruning
past `monitoring.retention_days`, and the evaluation of every check into states and alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from temporalio import activity

from db.app_settings import get_setting
from db.audit import statements_problem
from db.engine import rows_touched, session_scope
from infra.monitoring import alerts
from infra.monitoring.database import RELATION_SIZES
from infra.monitoring.report import build_report
from workflows.monitoring import Evaluation, Pruned, StatsSnapshot

SIZE_INTERVAL = timedelta(minutes=55)  # sizes hourly; five-minute noise says nothing about growth

# One statement: the delta against the previous totals and the new totals see the same snapshot,
# so no call is lost between the two; a statement whose counters went down was reset (full delta).
_STATEMENTS = """
WITH cur AS (
    SELECT s.queryid, max(s.query) AS query, sum(s.calls)::bigint AS calls,
           sum(s.total_plan_time + s.total_exec_time) AS total_ms, sum(s.rows)::bigint AS rows
    FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
    WHERE d.datname = current_database() AND s.queryid IS NOT NULL
    GROUP BY s.queryid
), delta AS (
    INSERT INTO monitoring_statements (captured_at, queryid, query, calls, total_ms, rows)
    SELECT :now, c.queryid, left(c.query, 2000),
           CASE WHEN p.queryid IS NULL OR c.calls < p.calls THEN c.calls ELSE c.calls - p.calls END,
           CASE WHEN p.queryid IS NULL OR c.calls < p.calls THEN c.total_ms ELSE c.total_ms - p.total_ms END,
           CASE WHEN p.queryid IS NULL OR c.calls < p.calls THEN c.rows ELSE c.rows - p.rows END
    FROM cur c LEFT JOIN monitoring_statement_totals p ON p.queryid = c.queryid
    WHERE p.queryid IS NULL OR c.calls <> p.calls
    RETURNING 1
), totals AS (
    INSERT INTO monitoring_statement_totals AS t (queryid, calls, total_ms, rows, captured_at)
    SELECT queryid, calls, total_ms, rows, :now FROM cur
    ON CONFLICT (queryid) DO UPDATE SET calls = excluded.calls, total_ms = excluded.total_ms,
        rows = excluded.rows, captured_at = excluded.captured_at
    RETURNING 1
)
SELECT (SELECT count(*) FROM delta), (SELECT count(*) FROM totals)
"""

_SIZES = (
    "INSERT INTO monitoring_table_sizes (captured_at, table_name, parent, total_bytes, rows) WITH "
    + RELATION_SIZES
    + " SELECT :now, relname, parent, bytes, est_rows FROM sized"
)

PRUNED = {
    "monitoring_statements": "captured_at",
    "monitoring_table_sizes": "captured_at",
    "monitoring_latency_minutes": "minute",
    "monitoring_error_minutes": "minute",
    "monitoring_errors": "last_seen",
    "monitoring_statement_totals": "captured_at",
}


@activity.defn
async def snapshot_database_stats() -> StatsSnapshot:
    now = datetime.now(UTC)
    async with session_scope() as session:
        problem = await statements_problem(session)
        statements = 0
        if problem is None:
            statements = int((await session.execute(text(_STATEMENTS), {"now": now})).one()[0])
        last_sizes = (await session.execute(text("SELECT max(captured_at) FROM monitoring_table_sizes"))).scalar()
        sizes = 0
        if last_sizes is None or now - last_sizes >= SIZE_INTERVAL:
            sizes = await rows_touched(session, text(_SIZES), {"now": now})
    return StatsSnapshot(statements=statements, statements_problem=problem, sizes=sizes)


@activity.defn
async def prune_monitoring_data() -> Pruned:
    async with session_scope() as session:
        days = int(await get_setting(session, "monitoring.retention_days"))
        cutoff = datetime.now(UTC) - timedelta(days=days)
        rows: dict[str, int] = {}
        for table, column in PRUNED.items():
            rows[table] = await rows_touched(
                session, text(f"DELETE FROM {table} WHERE {column} < :cutoff"), {"cutoff": cutoff}
            )
        rows["monitoring_alerts"] = await rows_touched(
            session, text("DELETE FROM monitoring_alerts WHERE resolved_at < :cutoff"), {"cutoff": cutoff}
        )
    return Pruned(rows)


@activity.defn
async def evaluate_monitoring_checks() -> Evaluation:
    from infra.temporal_client import connect

    try:
        client, problem = await connect(), None
    except Exception as exc:  # Temporal down is itself something the report says
        client, problem = None, f"Temporal is not reachable: {exc}"
    report = await build_report(client, problem, details=False)
    changes = await alerts.apply(report.checks, datetime.fromisoformat(report.generated_at))
    return Evaluation(
        state=report.state,
        critical=changes.critical,
        opened=changes.opened,
        resolved=changes.resolved,
        unavailable=[c.name for c in report.checks if c.state == "unavailable"],
    )


ACTIVITIES = [snapshot_database_stats, prune_monitoring_data, evaluate_monitoring_checks]
