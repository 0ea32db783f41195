"""Database health with PgHero's checks and default thresholds, plus our own data-shape checks.

PgHero defaults: long-running query 60 s, slow statement mean ≥ 20 ms over ≥ 100 calls,
connections warning at 500, cache hit rate below 99 %, sequences past 90 % of their type's
maximum, transaction ids within 10 M of wraparound, tables within 2 M of
autovacuum_freeze_max_age; unused, duplicate and invalid indexes and tables read mostly by
sequential scan come from db/audit.py (shared with `shopops maintenance index-audit`).
Slow statements read the 5-minute pg_stat_statements snapshots of the last 24 h, not the
server's totals since its last reset. Ours: rows in default partitions (maintenance keeps them
empty), backup age and restore verification, and how long ago maintenance last ran.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.app_settings import get_setting
from db.audit import CHECKS as AUDIT_CHECKS
from db.audit import STATEMENTS_MISSING, STATEMENTS_NOT_LOADED, run_check, statements_problem
from db.engine import session_factory
from infra.monitoring.checks import Check, Context, Measurement, cz

STATEMENTS_PROBLEM_CS = {
    STATEMENTS_NOT_LOADED: "pg_stat_statements je nainstalované, ale není načtené: přidejte shared_preload_libraries = "
    "'pg_stat_statements' do postgresql.conf a restartujte PostgreSQL; do té doby nejde pomalé dotazy vypsat",
    STATEMENTS_MISSING: "rozšíření pg_stat_statements v této databázi není (revize 0201 ho vytvoří, smí-li to role "
    "migrací); spusťte CREATE EXTENSION pg_stat_statements jako superuživatel",
}
AUDIT_CS = {
    "unused_indexes": "Neunikátní indexy s nejvýše max_scans čteními od vynulování statistik.",
    "duplicate_indexes": "Indexy, jejichž sloupce jsou začátkem jiného indexu téže tabulky (stejná metoda).",
    "invalid_indexes": "Neplatné indexy (přerušené CREATE INDEX CONCURRENTLY); smažte je a vytvořte znovu.",
    "sequential_scans": "Tabulky s aspoň large_table_rows řádky čtené indexem v méně než index_usage_percent % průchodů.",
    "missing_access_path_indexes": "Přístupové cesty aplikace (tabulka, úvodní sloupce, metoda) bez platného indexu.",
}
AUDITED = ("unused_indexes", "duplicate_indexes", "invalid_indexes", "sequential_scans", "missing_access_path_indexes")
DEFAULT_PARTITION_PROBE = 100_000  # rows counted at most per default partition
SLOW_WINDOW = timedelta(hours=24)
TOP = 25
SLOW_CALLS = 100  # PgHero slow_query_calls


async def _rows(session: AsyncSession, sql: str, **params: Any) -> list[dict[str, Any]]:
    result = await session.execute(text(sql), params)
    return [
        {k: v if isinstance(v, str | int | float | bool | None) else (v.isoformat() if hasattr(v, "isoformat") else str(v))
         for k, v in row.items()}
        for row in result.mappings()
    ]


async def _connections(session: AsyncSession) -> dict[str, Any]:
    total, max_conn = (
        await session.execute(
            text("SELECT count(*), current_setting('max_connections')::int FROM pg_stat_activity")
        )
    ).one()
    states = await _rows(
        session,
        "SELECT coalesce(state, 'background') AS state, count(*) AS connections FROM pg_stat_activity "
        "GROUP BY 1 ORDER BY 2 DESC",
    )
    sessions = await _rows(
        session,
        """
        SELECT pid, state, application_name AS source, datname AS database,
               round(extract(epoch FROM now() - query_start)::numeric, 1)::float AS query_seconds,
               round(extract(epoch FROM now() - state_change)::numeric, 1)::float AS state_seconds,
               round(extract(epoch FROM now() - xact_start)::numeric, 1)::float AS transaction_seconds,
               left(query, 300) AS query
        FROM pg_stat_activity
        WHERE datname = current_database() AND state IS NOT NULL AND state <> 'idle' AND pid <> pg_backend_pid()
          AND backend_type = 'client backend'
        ORDER BY xact_start NULLS LAST LIMIT 200
        """,
    )
    return {"total": int(total), "max": int(max_conn), "states": states, "sessions": sessions}


async def _statements(session: AsyncSession, since: Any) -> dict[str, Any]:
    problem = await statements_problem(session)
    rows = await _rows(
        session,
        """
        SELECT queryid::text AS queryid, left(max(query), 500) AS query, sum(calls)::bigint AS calls,
               round(sum(total_ms)::numeric, 1)::float AS total_ms,
               round((sum(total_ms) / nullif(sum(calls), 0))::numeric, 2)::float AS mean_ms,
               max(captured_at) AS last_seen
        FROM monitoring_statements WHERE captured_at >= :since
        GROUP BY queryid ORDER BY sum(total_ms) DESC LIMIT 100
        """,
        since=since,
    )
    last = (await session.execute(text("SELECT max(captured_at) FROM monitoring_statements"))).scalar()
    return {"problem": problem, "problem_cs": STATEMENTS_PROBLEM_CS.get(problem or "", problem),
            "top": rows, "last_snapshot": last.isoformat() if last else None}


async def _cache_hit(session: AsyncSession) -> dict[str, Any]:
    row = (
        await session.execute(
            text(
                "SELECT (SELECT sum(heap_blks_hit) / nullif(sum(heap_blks_hit + heap_blks_read), 0) FROM pg_statio_user_tables), "
                "(SELECT sum(idx_blks_hit) / nullif(sum(idx_blks_hit + idx_blks_read), 0) FROM pg_statio_user_indexes)"
            )
        )
    ).one()
    return {"tables": None if row[0] is None else round(float(row[0]) * 100, 2),
            "indexes": None if row[1] is None else round(float(row[1]) * 100, 2)}


# Rows per table: `n_live_tup` (kept current by the statistics collector) when it has counted,
# else the planner's `reltuples`, which is -1 until the first ANALYZE — read as 0 it showed
# "0 rows" for every table of a young database. A partitioned parent has neither: it is the sum
# over its partition tree (`pg_partition_tree`, so sub-partitions count too; parents add 0).
RELATION_SIZES = """
rel AS (
    SELECT c.oid, c.relname, c.relkind, p.relname AS parent,
           pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT' AS is_default,
           CASE WHEN c.relkind = 'p' THEN 0 ELSE pg_total_relation_size(c.oid) END AS bytes,
           CASE WHEN c.relkind = 'p' THEN 0
                ELSE coalesce(nullif(st.n_live_tup, 0), greatest(c.reltuples, 0)::bigint) END AS est_rows
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_inherits i ON i.inhrelid = c.oid LEFT JOIN pg_class p ON p.oid = i.inhparent
    LEFT JOIN pg_stat_user_tables st ON st.relid = c.oid
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
), sized AS (
    SELECT r.relname, r.parent, r.relkind, r.is_default,
           CASE WHEN r.relkind = 'p' THEN (SELECT coalesce(sum(k.bytes), 0) FROM pg_partition_tree(r.oid) t JOIN rel k ON k.oid = t.relid) ELSE r.bytes END AS bytes,
           CASE WHEN r.relkind = 'p' THEN (SELECT coalesce(sum(k.est_rows), 0) FROM pg_partition_tree(r.oid) t JOIN rel k ON k.oid = t.relid) ELSE r.est_rows END AS est_rows
    FROM rel r
)"""


async def _sizes(session: AsyncSession) -> list[dict[str, Any]]:
    """Tables (partitioned ones summed over their partitions) and partitions, with growth per day."""
    return await _rows(
        session,
        "WITH " + RELATION_SIZES + """, before AS (
            SELECT DISTINCT ON (table_name) table_name, total_bytes, captured_at
            FROM monitoring_table_sizes
            WHERE captured_at <= now() - interval '20 hours' AND captured_at >= now() - interval '8 days'
            ORDER BY table_name, captured_at DESC
        )
        SELECT s.relname AS table, s.parent, s.relkind = 'p' AS partitioned, coalesce(s.is_default, false) AS is_default,
               s.bytes::bigint AS bytes, pg_size_pretty(s.bytes::bigint) AS size, s.est_rows::bigint AS rows,
               CASE WHEN b.captured_at IS NOT NULL
                    THEN round(((s.bytes - b.total_bytes) / (extract(epoch FROM now() - b.captured_at) / 86400))::numeric)::bigint
               END AS growth_bytes_per_day
        FROM sized s LEFT JOIN before b ON b.table_name = s.relname
        ORDER BY s.bytes DESC, s.relname
        """,
    )


async def _default_partitions(session: AsyncSession) -> list[dict[str, Any]]:
    names = (
        await session.execute(
            text(
                "SELECT c.relname, p.relname FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid "
                "JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT' ORDER BY 1"
            )
        )
    ).all()
    out = []
    for name, parent in names:
        # Names come from the catalog, not from input; the LIMIT keeps a flooded default cheap.
        rows = (
            await session.execute(
                text(f'SELECT count(*) FROM (SELECT 1 FROM "{name}" LIMIT {DEFAULT_PARTITION_PROBE}) d')
            )
        ).scalar_one()
        out.append({"partition": name, "table": parent, "rows": int(rows), "capped": rows >= DEFAULT_PARTITION_PROBE})
    return out


async def _sequences(session: AsyncSession) -> list[dict[str, Any]]:
    return await _rows(
        session,
        """
        SELECT s.sequencename AS sequence, t.relname AS table, a.attname AS column,
               format_type(a.atttypid, a.atttypmod) AS column_type, s.last_value,
               CASE a.atttypid WHEN 'int2'::regtype THEN 32767 WHEN 'int4'::regtype THEN 2147483647
                    ELSE s.max_value END AS max_value,
               round((100.0 * coalesce(s.last_value, 0) / CASE a.atttypid WHEN 'int2'::regtype THEN 32767
                    WHEN 'int4'::regtype THEN 2147483647 ELSE s.max_value END)::numeric, 4)::float AS percent_used
        FROM pg_sequences s
        JOIN pg_namespace sn ON sn.nspname = s.schemaname
        JOIN pg_class sc ON sc.relname = s.sequencename AND sc.relnamespace = sn.oid
        LEFT JOIN pg_depend d ON d.objid = sc.oid AND d.classid = 'pg_class'::regclass
             AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
        LEFT JOIN pg_class t ON t.oid = d.refobjid
        LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE s.schemaname = 'public'
        ORDER BY percent_used DESC NULLS LAST, 1
        """,
    )


async def _vacuum(session: AsyncSession) -> dict[str, Any]:
    freeze_max = int((await session.execute(text("SHOW autovacuum_freeze_max_age"))).scalar_one())
    wraparound = await _rows(
        session,
        """
        SELECT c.relname AS table, 2146483648 - greatest(age(c.relfrozenxid), age(t.relfrozenxid)) AS transactions_left,
               :freeze_max - greatest(age(c.relfrozenxid), age(t.relfrozenxid)) AS until_forced_vacuum
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_class t ON c.reltoastrelid = t.oid
        WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        ORDER BY 2 LIMIT 10
        """,
        freeze_max=freeze_max,
    )
    tables = await _rows(
        session,
        """
        SELECT relname AS table, n_live_tup AS live_rows, n_dead_tup AS dead_rows,
               last_vacuum, last_autovacuum, last_analyze, last_autoanalyze
        FROM pg_stat_user_tables ORDER BY n_dead_tup DESC, n_live_tup DESC LIMIT 30
        """,
    )
    return {"freeze_max_age": freeze_max, "wraparound": wraparound, "tables": tables}


async def _backups(session: AsyncSession, now: Any) -> dict[str, Any]:
    last = (
        await session.execute(
            text(
                "SELECT id, name, finished_at FROM backups WHERE status = 'completed' AND finished_at IS NOT NULL "
                "ORDER BY finished_at DESC LIMIT 1"
            )
        )
    ).mappings().first()
    verified = (
        await session.execute(
            text(
                "SELECT id, name, verify_status, verified_at FROM backups "
                "WHERE verify_status IS NOT NULL AND verified_at IS NOT NULL ORDER BY verified_at DESC LIMIT 1"
            )
        )
    ).mappings().first()
    failed = (
        await session.execute(
            text(
                "SELECT name, error, started_at FROM backups WHERE status = 'failed' "
                "AND started_at > coalesce(:after, '-infinity'::timestamptz) ORDER BY started_at DESC LIMIT 1"
            ),
            {"after": last["finished_at"] if last else None},
        )
    ).mappings().first()
    interval_days = await get_setting(session, "backups.verify_interval_days")
    return {
        "failed_since": {"name": failed["name"], "error": failed["error"], "started_at": failed["started_at"].isoformat()}
        if failed else None,
        "last_backup": {"id": last["id"], "name": last["name"], "finished_at": last["finished_at"].isoformat()} if last else None,
        "age_hours": round((now - last["finished_at"]).total_seconds() / 3600, 2) if last else None,
        "last_verify": {
            "id": verified["id"],
            "name": verified["name"],
            "status": verified["verify_status"],
            "verified_at": verified["verified_at"].isoformat() if verified["verified_at"] else None,
            "age_days": round((now - verified["verified_at"]).total_seconds() / 86400, 2) if verified["verified_at"] else None,
        } if verified else None,
        "verify_interval_days": int(interval_days),
    }


async def _pitr(session: AsyncSession, now: Any) -> dict[str, Any]:
    return {**await archiver_state(session), **await newest_base_backup(session, now)}


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


async def archiver_state(session: AsyncSession) -> dict[str, Any]:
    """WAL archiving as the server itself reports it (settings and pg_stat_archiver)."""
    a = (
        await session.execute(
            text(
                "SELECT current_setting('archive_mode') AS archive_mode, "
                "current_setting('archive_command') AS archive_command, archived_count, last_archived_wal, "
                "last_archived_time, failed_count, last_failed_wal, last_failed_time FROM pg_stat_archiver"
            )
        )
    ).mappings().one()
    return {
        "archive_mode": a["archive_mode"],
        "archive_command_set": a["archive_command"] not in ("", "(disabled)"),
        "archived_count": a["archived_count"],
        "last_archived_wal": a["last_archived_wal"],
        "last_archived_time": _iso(a["last_archived_time"]),
        "failed_count": a["failed_count"],
        "last_failed_wal": a["last_failed_wal"],
        "last_failed_time": _iso(a["last_failed_time"]),
        # the last attempt failed: the archiver retries the same segment until it succeeds
        "failing": a["last_failed_time"] is not None
        and (a["last_archived_time"] is None or a["last_failed_time"] > a["last_archived_time"]),
    }


async def newest_base_backup(session: AsyncSession, now: Any) -> dict[str, Any]:
    """The newest recorded PITR base backup and the interval it should be renewed in."""
    newest = (
        await session.execute(
            text(
                "SELECT label, finished_at, bytes, start_wal FROM pitr_base_backups WHERE status = 'completed' "
                "ORDER BY finished_at DESC LIMIT 1"
            )
        )
    ).mappings().first()
    return {
        "newest_base": {
            "label": newest["label"],
            "finished_at": newest["finished_at"].isoformat(),
            "bytes": newest["bytes"],
            "start_wal": newest["start_wal"],
            "age_days": round((now - newest["finished_at"]).total_seconds() / 86400, 2),
        } if newest else None,
        "base_interval_days": int(await get_setting(session, "pitr.base_backup_interval_days")),
    }


async def _maintenance(session: AsyncSession, now: Any) -> list[dict[str, Any]]:
    rows = (
        await session.execute(text("SELECT kind, status, started_at, finished_at, error FROM maintenance_last_run ORDER BY kind"))
    ).mappings().all()
    return [
        {
            "kind": r["kind"],
            "status": r["status"],
            "started_at": r["started_at"].isoformat(),
            "finished_at": r["finished_at"].isoformat() if r["finished_at"] else None,
            "age_hours": round((now - r["started_at"]).total_seconds() / 3600, 2),
            "error": r["error"],
        }
        for r in rows
    ]


async def _audit(session: AsyncSession) -> dict[str, Any]:
    out = {}
    for check in AUDIT_CHECKS:
        if check.name in AUDITED:
            result = await run_check(session, check)
            out[check.name] = {"state": result.state, "summary": result.summary, "rows": result.rows[:TOP], "count": len(result.rows),
                               "thresholds": result.thresholds, "description": result.description}
    return out


async def _in_session(*reads: Any) -> list[Any]:
    """Run `reads` (functions of a session) one after another on a session of their own."""
    async with session_factory()() as session:
        await session.execute(text("SET LOCAL statement_timeout = '5s'"))
        return [await read(session) for read in reads]


async def collect(ctx: Context) -> dict[str, Any]:
    # Four sessions at once: the server answers the catalog reads in parallel.
    (connections, cache_hit, vacuum, sequences), (sizes,), (statements, defaults, backups, pitr, maintenance), (audit,) = (
        await asyncio.gather(
            _in_session(_connections, _cache_hit, _vacuum, _sequences),
            _in_session(_sizes if ctx.details else _no_sizes),
            _in_session(
                lambda s: _statements(s, ctx.now - SLOW_WINDOW),
                _default_partitions,
                lambda s: _backups(s, ctx.now),
                lambda s: _pitr(s, ctx.now),
                lambda s: _maintenance(s, ctx.now),
            ),
            _in_session(_audit),
        )
    )
    return {
        "connections": connections,
        "statements": statements,
        "cache_hit": cache_hit,
        "sizes": sizes,
        "default_partitions": defaults,
        "sequences": sequences,
        "vacuum": vacuum,
        "backups": backups,
        "pitr": pitr,
        "maintenance": maintenance,
        "audit": audit,
    }


async def _no_sizes(_: AsyncSession) -> list[dict[str, Any]]:
    return []


# ------------------------------------------------------------------ checks


def _connections_check(data: dict[str, Any], _: dict[str, float]) -> Measurement:
    c = data["connections"]
    return Measurement(c["total"], f"{c['total']} of {c['max']} connections", c["states"],
                       summary_cs=f"{c['total']} z {c['max']} spojení")


def _long_running(data: dict[str, Any], limits: dict[str, float]) -> Measurement:
    limit = limits.get("warn", 60)
    rows = [s for s in data["connections"]["sessions"]
            if s["state"] == "active" and (s["query_seconds"] or 0) >= limit]
    longest = max((s["query_seconds"] for s in rows), default=0.0)
    return Measurement(longest, f"{len(rows)} quer(ies) running ≥ {limit:g} s" if rows else "none", rows,
                       summary_cs=f"dotazů běžících ≥ {limit:g} s: {len(rows)}" if rows else "žádné")


def _idle_in_transaction(data: dict[str, Any], limits: dict[str, float]) -> Measurement:
    limit = limits.get("warn", 60)
    rows = [s for s in data["connections"]["sessions"]
            if str(s["state"]).startswith("idle in transaction") and (s["state_seconds"] or 0) >= limit]
    longest = max((s["state_seconds"] for s in rows), default=0.0)
    summary = f"{len(rows)} session(s) idle in a transaction ≥ {limit:g} s, holding locks and vacuum back"
    summary_cs = f"relací nečinných v transakci ≥ {limit:g} s (drží zámky a brzdí vacuum): {len(rows)}"
    return Measurement(longest, summary if rows else "none", rows, summary_cs=summary_cs if rows else "žádné")


def _slow_statements(data: dict[str, Any], limits: dict[str, float]) -> Measurement:
    s = data["statements"]
    if s["problem"] and not s["top"]:
        return Measurement(None, "", unavailable=s["problem"], unavailable_cs=s["problem_cs"])
    mean_ms, calls = limits.get("warn", 20), SLOW_CALLS
    rows = [r for r in s["top"] if (r["calls"] or 0) >= calls and (r["mean_ms"] or 0) >= mean_ms]
    if not rows:
        return Measurement(0, f"no statement averages ≥ {mean_ms:g} ms over ≥ {calls:g} calls in 24 h", s["top"][:10],
                           summary_cs=f"žádný dotaz s ≥ {calls:g} voláními za 24 h netrvá v průměru ≥ {mean_ms:g} ms")
    slowest = max(r["mean_ms"] for r in rows)
    return Measurement(slowest, f"{len(rows)} statement(s) average ≥ {mean_ms:g} ms (slowest {slowest:g} ms)", rows[:TOP],
                       summary_cs=f"dotazů s průměrem ≥ {mean_ms:g} ms: {len(rows)} (nejpomalejší {slowest:g} ms)")


def _cache_hit_rate(data: dict[str, Any], _: dict[str, float]) -> Measurement:
    rates = [r for r in data["cache_hit"].values() if r is not None]
    if not rates:
        return Measurement(None, "no reads yet", summary_cs="zatím žádná čtení")
    low = min(rates)
    h = data["cache_hit"]
    return Measurement(low, f"tables {h['tables']} %, indexes {h['indexes']} %", [h],
                       summary_cs=f"tabulky {h['tables']} %, indexy {h['indexes']} %")


def _default_partition_rows(data: dict[str, Any], _: dict[str, float]) -> Measurement:
    rows = [d for d in data["default_partitions"] if d["rows"]]
    total = sum(d["rows"] for d in rows)
    if not rows:
        return Measurement(0, "every default partition is empty", data["default_partitions"],
                           summary_cs="všechny výchozí oddíly jsou prázdné")
    names = ", ".join(f"{d['partition']} ({d['rows']}{'+' if d['capped'] else ''})" for d in rows)
    return Measurement(total, f"rows in default partitions: {names}; partition maintenance should move them", rows,
                       summary_cs=f"řádky ve výchozích oddílech: {names}; údržba oddílů je má přesunout")


def _sequence_use(data: dict[str, Any], _: dict[str, float]) -> Measurement:
    rows = data["sequences"]
    if not rows:
        return Measurement(0, "no sequences", summary_cs="žádné sekvence")
    top = rows[0]
    return Measurement(top["percent_used"] / 100, f"{top['sequence']} is {top['percent_used']:.4g} % used", rows[:5],
                       summary_cs=f"{top['sequence']}: využito {top['percent_used']:.4g} %")


def _wraparound(data: dict[str, Any], _: dict[str, float]) -> Measurement:
    rows = data["vacuum"]["wraparound"]
    if not rows:
        return Measurement(None, "no tables", summary_cs="žádné tabulky")
    left = int(rows[0]["transactions_left"])
    return Measurement(left, f"{rows[0]['table']}: {left:,} transaction ids before wraparound", rows[:5],
                       summary_cs=f"{rows[0]['table']}: {cz(left, 0)} id transakcí do přetečení")


def _autovacuum(data: dict[str, Any], _: dict[str, float]) -> Measurement:
    rows = data["vacuum"]["wraparound"]
    if not rows:
        return Measurement(None, "no tables", summary_cs="žádné tabulky")
    left = int(rows[0]["until_forced_vacuum"])
    return Measurement(left, f"{rows[0]['table']}: {left:,} transactions before a forced anti-wraparound vacuum", rows[:5],
                       summary_cs=f"{rows[0]['table']}: {cz(left, 0)} transakcí do vynuceného vacuum")


def _dead_rows(data: dict[str, Any], limits: dict[str, float]) -> Measurement:
    rows = [t for t in data["vacuum"]["tables"] if (t["dead_rows"] or 0) >= 10000]
    if not rows:
        return Measurement(0, "vacuum keeps up", rows, summary_cs="vacuum stíhá")
    ratio = {t["table"]: t["dead_rows"] / max(t["live_rows"] or 0, 1) for t in rows}
    rows.sort(key=lambda t: ratio[t["table"]], reverse=True)
    top = rows[0]
    # the alert's text names the table, so ops know which one to VACUUM
    summary = (f"{top['table']}: {top['dead_rows']:,} dead to {top['live_rows']:,} live rows "
               f"(ratio {ratio[top['table']]:.2f})")
    summary_cs = (f"{top['table']}: {cz(top['dead_rows'], 0)} mrtvých a {cz(top['live_rows'], 0)} živých řádků "
                  f"(poměr {cz(ratio[top['table']], 2)})")
    if len(rows) > 1:
        summary += f"; {len(rows) - 1} more table(s) with ≥ 10,000 dead rows"
        summary_cs += f"; dalších tabulek s ≥ 10 000 mrtvými řádky: {len(rows) - 1}"
    return Measurement(ratio[top["table"]], summary, rows, summary_cs=summary_cs)


def _audit_check(name: str) -> Any:
    def measure(data: dict[str, Any], _: dict[str, float]) -> Measurement:
        found = data["audit"][name]
        if found["state"] == "unavailable":
            return Measurement(None, "", unavailable=found["summary"],
                               unavailable_cs=f"nelze zjistit: {found['summary']}")
        return Measurement(found["count"], found["summary"], found["rows"],
                           state="warn" if found["state"] == "warning" else "ok",
                           summary_cs=f"nálezů: {found['count']}" if found["count"] else "nic nenalezeno")

    return measure


def _backup_age(data: dict[str, Any], _: dict[str, float]) -> Measurement:
    b = data["backups"]
    if b["last_backup"] is None:
        # No data is not a failure: a fresh install has no backup until the first daily run.
        if b.get("failed_since"):
            f = b["failed_since"]
            return Measurement(None, f"no backup yet: the last attempt {f['name']} failed: {f['error'] or 'no error text'}",
                               [f], state="critical",
                               summary_cs=f"zatím žádná záloha: poslední pokus {f['name']} selhal: {f['error'] or 'bez textu chyby'}")
        return Measurement(None, "no backup yet: the first one runs on the daily schedule (02:00 Europe/Prague) "
                           "or now with `shopops backup run`", state="warn",
                           summary_cs="zatím žádná záloha: první proběhne podle denního plánu (02:00 Europe/Prague) "
                           "nebo hned příkazem `shopops backup run`")
    return Measurement(b["age_hours"], f"last backup {b['last_backup']['name']} finished {b['age_hours']:.1f} h ago", [b["last_backup"]],
                       summary_cs=f"poslední záloha {b['last_backup']['name']} skončila před {cz(b['age_hours'])} h")


def _backup_verify(data: dict[str, Any], _: dict[str, float]) -> Measurement:
    b = data["backups"]
    v = b["last_verify"]
    if v is None:
        return Measurement(None, "no backup has been restore-verified yet", state="warn",
                           summary_cs="zatím žádná záloha nebyla ověřena obnovou")
    if v["status"] != "passed":
        return Measurement(None, f"the last restore verification of {v['name']} {v['status']}", [v], state="critical",
                           summary_cs=f"poslední ověření obnovy {v['name']}: {v['status']}")
    overdue = (v["age_days"] or 0) > b["verify_interval_days"] + 1
    summary = f"{v['name']} verified {v['age_days']:.1f} days ago (every {b['verify_interval_days']} days)"
    summary_cs = f"{v['name']} ověřena před {cz(v['age_days'])} dne (každých {b['verify_interval_days']} dní)"
    return Measurement(v["age_days"], summary, [v], state="warn" if overdue else "ok", summary_cs=summary_cs)


PITR_OFF_CS = "archivace WAL je vypnutá: obnova k okamžiku (PITR) není nastavená (`shopops pitr setup`, docs/backups.md)"
PITR_OFF = "WAL archiving is off: point-in-time recovery is not set up (`shopops pitr setup`, docs/backups.md)"


def _wal_archiving(data: dict[str, Any], _: dict[str, float]) -> Measurement:
    p = data["pitr"]
    if p["archive_mode"] == "off":
        return Measurement(None, "", unavailable=PITR_OFF, unavailable_cs=PITR_OFF_CS)
    if not p["archive_command_set"]:
        return Measurement(None, "archive_mode is on but archive_command is empty: WAL piles up in pg_wal", state="critical",
                           summary_cs="archive_mode je zapnutý, ale archive_command je prázdný: WAL se hromadí v pg_wal")
    row = {k: p[k] for k in ("archived_count", "last_archived_wal", "last_archived_time", "failed_count",
                             "last_failed_wal", "last_failed_time")}
    if p["failing"]:
        return Measurement(
            p["failed_count"],
            f"archive_command fails since {p['last_failed_time']} on {p['last_failed_wal']}: WAL piles up in pg_wal "
            "and nothing after the last archived segment can be restored",
            [row], state="critical",
            summary_cs=f"archive_command selhává od {p['last_failed_time']} na {p['last_failed_wal']}: WAL se hromadí v pg_wal "
            "a nic po posledním archivovaném segmentu nejde obnovit",
        )
    return Measurement(p["failed_count"], f"{p['archived_count']} segments archived, last {p['last_archived_wal'] or 'none yet'}",
                       [row], state="ok",
                       summary_cs=f"archivováno segmentů: {p['archived_count']}, poslední {p['last_archived_wal'] or 'zatím žádný'}")


def _pitr_base_age(data: dict[str, Any], _: dict[str, float]) -> Measurement:
    p = data["pitr"]
    if p["archive_mode"] == "off":
        return Measurement(None, "", unavailable=PITR_OFF, unavailable_cs=PITR_OFF_CS)
    newest, every = p["newest_base"], p["base_interval_days"]
    if newest is None:
        return Measurement(None, "WAL is archived but there is no base backup to restore it onto (maint:pitr-base)", state="critical",
                           summary_cs="WAL se archivuje, ale chybí základní záloha, na kterou by šel obnovit (maint:pitr-base)")
    age = newest["age_days"]
    summary = f"newest base backup {newest['label']} is {age:.1f} days old (one every {every} days)"
    state = "critical" if age > 2 * every + 1 else "warn" if age > every + 1 else "ok"
    summary_cs = f"nejnovější základní záloha {newest['label']} je stará {cz(age)} dne (jedna každých {every} dní)"
    return Measurement(age, summary, [newest], state=state, summary_cs=summary_cs)


def _maintenance_age(data: dict[str, Any], _: dict[str, float]) -> Measurement:
    runs = {r["kind"]: r for r in data["maintenance"]}
    partitions = runs.get("partitions")
    if partitions is None:
        return Measurement(None, "partition maintenance has not run yet", list(runs.values()), state="warn",
                           summary_cs="údržba oddílů zatím neproběhla")
    failed = [r for r in runs.values() if r["status"] == "failed"]
    summary = f"partition maintenance ran {partitions['age_hours']:.1f} h ago ({partitions['status']})"
    summary_cs = f"údržba oddílů proběhla před {cz(partitions['age_hours'])} h ({partitions['status']})"
    if failed:
        summary += "; last run failed: " + ", ".join(r["kind"] for r in failed)
        summary_cs += "; poslední běh selhal: " + ", ".join(r["kind"] for r in failed)
    return Measurement(partitions["age_hours"], summary, list(runs.values()), state="warn" if failed else None,
                       summary_cs=summary_cs)


CHECKS = [
    Check("connections", "database", "Connections to the server (PgHero warns at 500).", _connections_check,
          warn=500, unit="connections",
          description_cs="Spojení k serveru (PgHero varuje od 500)."),
    Check("long_running_queries", "database", "Queries running longer than the threshold (PgHero: 60 s).",
          _long_running, warn=60, critical=300, unit="s",
          description_cs="Dotazy běžící déle než práh (PgHero: 60 s)."),
    Check("idle_in_transaction", "database", "Sessions idle inside an open transaction longer than the threshold.",
          _idle_in_transaction, warn=60, critical=300, unit="s",
          description_cs="Relace nečinné v otevřené transakci déle než práh."),
    Check("slow_statements", "database",
          "Statements averaging at least the threshold over ≥ 100 calls in the last 24 h of snapshots (PgHero: 20 ms).",
          _slow_statements, warn=20, unit="ms",
          description_cs="Dotazy s průměrem aspoň prahu při ≥ 100 voláních za posledních 24 h snímků (PgHero: 20 ms)."),
    Check("cache_hit_rate", "database", "Table and index reads served from shared buffers (PgHero: below 99 %).",
          _cache_hit_rate, warn=99, unit="%", lower_is_worse=True,
          description_cs="Čtení tabulek a indexů obsloužená ze sdílené paměti (PgHero: pod 99 %)."),
    Check("default_partition_rows", "database", "Rows in default partitions; maintenance keeps them empty.",
          _default_partition_rows, critical=1, unit="rows",
          description_cs="Řádky ve výchozích oddílech; údržba je drží prázdné."),
    Check("sequence_use", "database", "Share of the column type's range the busiest sequence used (PgHero: 0.9).",
          _sequence_use, warn=0.9, critical=0.98, unit="ratio",
          description_cs="Podíl rozsahu typu sloupce, který nejvytíženější sekvence spotřebovala (PgHero: 0,9)."),
    Check("transaction_id_wraparound", "database", "Transaction ids left before wraparound (PgHero: 10 M).",
          _wraparound, critical=10_000_000, unit="xids", lower_is_worse=True,
          description_cs="Zbývající id transakcí do přetečení (PgHero: 10 M)."),
    Check("autovacuum_freeze", "database", "Transactions before autovacuum_freeze_max_age forces a vacuum (PgHero: 2 M).",
          _autovacuum, warn=2_000_000, unit="xids", lower_is_worse=True,
          description_cs="Transakce, než autovacuum_freeze_max_age vynutí vacuum (PgHero: 2 M)."),
    Check("dead_rows", "database", "Dead to live rows of tables with ≥ 10 000 dead rows (autovacuum falling behind).",
          _dead_rows, warn=0.2, critical=1.0, unit="ratio",
          description_cs="Poměr mrtvých a živých řádků tabulek s ≥ 10 000 mrtvými řádky (autovacuum nestíhá)."),
    *(Check(name, "database", next(c.description for c in AUDIT_CHECKS if c.name == name), _audit_check(name), unit="findings",
            description_cs=AUDIT_CS[name])
      for name in AUDITED),
    Check("backup_age", "database", "Hours since the last completed backup (daily schedule).", _backup_age,
          warn=25, critical=26, unit="h",
          description_cs="Hodiny od poslední dokončené zálohy (denní plán)."),
    Check("backup_verify", "database", "The newest restore verification passed and is not overdue.", _backup_verify,
          unit="days",
          description_cs="Poslední ověření obnovy prošlo a není po termínu."),
    Check("wal_archiving", "database", "archive_command keeps up: its last attempt did not fail (pg_stat_archiver).",
          _wal_archiving, unit="failures",
          description_cs="archive_command stíhá: jeho poslední pokus neselhal (pg_stat_archiver)."),
    Check("pitr_base_age", "database", "Days since the newest PITR base backup (pitr.base_backup_interval_days).",
          _pitr_base_age, unit="days",
          description_cs="Dny od nejnovější základní zálohy PITR (pitr.base_backup_interval_days)."),
    Check("maintenance_age", "database", "Hours since partition maintenance last ran (maintenance_last_run; daily).",
          _maintenance_age, warn=26, critical=50, unit="h",
          description_cs="Hodiny od posledního běhu údržby oddílů (maintenance_last_run; denně)."),
]
