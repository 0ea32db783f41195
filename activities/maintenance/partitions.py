"""Partition maintenance activities: plan from the catalog, premake quarters, empty the default.

Rows in a default partition block creating the partition for their range ("updated partition
constraint for default partition would be violated"). We never detach the default (while it is
detached, a row with no partition fails to insert). Instead the quarter is built as a standalone
table named like the partition: stray rows move into it (in batches, each its own short
transaction, when there are many), then one short transaction moves whatever arrived meanwhile
and ATTACHes it. ATTACH takes only SHARE UPDATE EXCLUSIVE on the parent, so ingest into other
quarters never waits; a CHECK constraint matching the bounds lets ATTACH skip its scan. A crash
leaves the standalone table behind; the next run finds it and finishes the job.

Every DDL transaction runs under `lock_timeout` and is retried, and holds one advisory lock so
two maintenance runs never interleave their DDL.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from psycopg import sql
from sqlalchemy import text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.heartbeats import with_heartbeats
from db.app_settings import get_setting
from db.engine import async_engine, raw_connection, session_scope
from db.models.maintenance import HOT_TABLES, MaintenanceRun, archive_name
from db.partitions import Quarter, default_partition_name, parse_partition_name, partition_name
from workflows.maintenance.partitions import (
    BAD_REQUEST,
    Action,
    MaintenancePlan,
    PartitionTask,
    PlanRequest,
    RunFinish,
    RunStart,
    TaskInput,
)

T = TypeVar("T")
# pg_advisory_xact_lock key shared by every maintenance DDL transaction ("shopops-maint").
MAINTENANCE_LOCK = 0x73686F706D61696E
LOCK_CONFLICT = {"55P03", "40P01"}  # lock_not_available, deadlock_detected
_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def ident(name: str) -> str:
    """A table or index name we put into DDL; refuse anything that is not a plain identifier."""
    if not _IDENT.match(name):
        raise ValueError(f"refusing to use {name!r} as an SQL identifier")
    return name


def beat(*details: Any) -> None:
    if activity.in_activity():
        activity.heartbeat(*details)


def quarter_bounds(quarter: Quarter) -> tuple[str, str]:
    return quarter.start.isoformat(), quarter.end.isoformat()


def for_values(quarter: Quarter) -> str:
    start, end = quarter_bounds(quarter)
    return f"FOR VALUES FROM ('{start}') TO ('{end}')"


def bounds_check(quarter: Quarter) -> str:
    start, end = quarter_bounds(quarter)
    return f"CHECK (created_at >= '{start}' AND created_at < '{end}')"


def _is_lock_conflict(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in LOCK_CONFLICT


async def in_lock_tx(
    work: Callable[[AsyncConnection], Awaitable[T]],
    *,
    what: str,
    lock_timeout_ms: int,
    attempts: int,
) -> T:
    """Run `work` in one transaction that gives up waiting for any lock after `lock_timeout_ms`
    (so ingest queued behind us waits at most that long), retrying with jittered backoff."""
    for attempt in range(1, attempts + 1):
        try:
            async with async_engine().begin() as conn:
                await conn.execute(text(f"SET LOCAL lock_timeout = {int(lock_timeout_ms)}"))
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:k)"), {"k": MAINTENANCE_LOCK}
                )
                return await work(conn)
        except DBAPIError as exc:
            if not _is_lock_conflict(exc):
                raise
            beat(f"{what}: lock busy (attempt {attempt}/{attempts})")
            if attempt == attempts:
                raise ApplicationError(
                    f"{what}: could not get its locks within {lock_timeout_ms} ms in {attempts} "
                    "attempts (a long query or transaction holds the table); the activity retries later",
                    type="LockBusy",
                ) from exc
            await asyncio.sleep(min(0.2 * 2**attempt, 5.0) * (0.5 + random.random()))
    raise AssertionError("unreachable")


# ----------------------------------------------------------------------------- catalog


async def partitions_of(conn: AsyncConnection, parent: str, table: str) -> dict[Quarter, str]:
    """Quarter partitions of `parent` named `<table>_<year>q<n>` (hot or archive parent)."""
    rows = await conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(:parent)"
        ),
        {"parent": parent},
    )
    return _by_quarter(table, ((name, name) for (name,) in rows))


async def detach_pending(conn: AsyncConnection, table: str) -> dict[Quarter, str]:
    """Partitions left half-detached by an interrupted DETACH … CONCURRENTLY: quarter -> parent."""
    rows = await conn.execute(
        text(
            "SELECT c.relname, p.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE i.inhdetachpending "
            "AND p.relname IN (:hot, :archive)"
        ),
        {"hot": table, "archive": archive_name(table)},
    )
    return _by_quarter(table, rows)


async def standalone_quarters(conn: AsyncConnection, table: str) -> dict[Quarter, str]:
    """Ordinary tables named like a quarter partition but attached nowhere: a quarter detached
    by a crashed move, or one being built from stray rows."""
    rows = await conn.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND NOT c.relispartition "
            "AND c.relname LIKE :pattern"
        ),
        {"pattern": f"{table}\\_%q_"},
    )
    return _by_quarter(table, ((name, name) for (name,) in rows))


def _by_quarter(table: str, rows: Iterable[Any]) -> dict[Quarter, str]:
    """{quarter: value} of the (relation name, value) rows whose name is a quarter of `table`."""
    found: dict[Quarter, str] = {}
    for name, value in rows:
        parsed = parse_partition_name(name)
        if parsed and parsed[0] == table:
            found[parsed[1]] = value
    return found


async def default_rows_by_quarter(conn: AsyncConnection, table: str) -> dict[Quarter, int]:
    rows = await conn.execute(
        text(
            "SELECT date_trunc('quarter', created_at AT TIME ZONE 'UTC') AS q, count(*) "
            f"FROM {ident(default_partition_name(table))} GROUP BY 1"
        )
    )
    return {Quarter.of(q.replace(tzinfo=UTC)): n for q, n in rows}


async def column_names(conn: AsyncConnection, table: str) -> list[str]:
    rows = await conn.execute(
        text(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(:t) "
            "AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
        ),
        {"t": table},
    )
    return [ident(name) for (name,) in rows]


async def primary_key(conn: AsyncConnection, table: str) -> list[str]:
    rows = await conn.execute(
        text(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey::int2[]) WHERE i.indrelid = to_regclass(:t) "
            "AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)"
        ),
        {"t": table},
    )
    return [ident(name) for (name,) in rows]


async def locate(conn: AsyncConnection, name: str) -> str | None:
    """The parent `name` is attached to, '' when it is a standalone table, None when missing.

    A partition left half-detached by an interrupted DETACH … CONCURRENTLY is finalized here
    (FINALIZE works inside a transaction), so callers only ever see attached or standalone.
    """
    row = (
        await conn.execute(
            text(
                "SELECT c.relispartition, p.relname, i.inhdetachpending FROM pg_class c "
                "LEFT JOIN pg_inherits i ON i.inhrelid = c.oid LEFT JOIN pg_class p ON p.oid = i.inhparent "
                "WHERE c.oid = to_regclass(:n)"
            ),
            {"n": name},
        )
    ).first()
    if row is None:
        return None
    attached, parent, pending = row
    if attached and pending:
        await conn.execute(
            text(f"ALTER TABLE {ident(parent)} DETACH PARTITION {ident(name)} FINALIZE")
        )
        return ""
    return parent if attached else ""


async def held_quarters(conn: AsyncConnection, as_of: datetime) -> set[Quarter]:
    rows = await conn.execute(
        text("SELECT quarter FROM archive_holds WHERE held_until > :t"), {"t": as_of}
    )
    return {Quarter.parse(q) for (q,) in rows}


# ----------------------------------------------------------------------------- plan


def retention_cutoff(as_of: date, retention_days: int) -> datetime:
    return datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC) - timedelta(days=retention_days)


def belongs_in_archive(quarter: Quarter, cutoff: datetime, held: set[Quarter]) -> bool:
    """A quarter whose every order is older than the retention, unless a restore holds it hot."""
    return quarter.end <= cutoff and quarter not in held


async def _settings(req: PlanRequest) -> tuple[int, int]:
    async with session_scope() as session:
        future = req.future_quarters or await get_setting(session, "partitions.future_quarters")
        retention = req.retention_days or await get_setting(session, "archive.retention_days")
    future, retention = int(future), int(retention)
    if not 1 <= future <= 40:
        raise ApplicationError(
            f"partitions.future_quarters must be 1..40, got {future}",
            type=BAD_REQUEST,
            non_retryable=True,
        )
    if retention < 92:
        raise ApplicationError(
            f"archive.retention_days must be at least 92 (one quarter), got {retention}",
            type=BAD_REQUEST,
            non_retryable=True,
        )
    return future, retention


@activity.defn
async def plan_partition_maintenance(req: PlanRequest) -> MaintenancePlan:
    """Read the catalog once and list the idempotent tasks, in the order they must run."""
    future, retention = await _settings(req)
    try:
        as_of = date.fromisoformat(req.as_of)
    except ValueError:
        raise ApplicationError(
            f"as_of {req.as_of!r} is not a date like 2026-11-28",
            type=BAD_REQUEST,
            non_retryable=True,
        ) from None
    cutoff = retention_cutoff(as_of, retention)
    today = Quarter.of(datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC))
    ensure: dict[tuple[str, Quarter], PartitionTask] = {}
    archive: dict[Quarter, str] = {}
    drains: list[PartitionTask] = []
    default_rows: dict[str, int] = {}
    async with async_engine().connect() as conn:
        held = await held_quarters(conn, datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC))

        def home(table: str, quarter: Quarter) -> str:
            return archive_name(table) if belongs_in_archive(quarter, cutoff, held) else table

        for table in HOT_TABLES:
            hot = await partitions_of(conn, table, table)
            cold = await partitions_of(conn, archive_name(table), table)
            strays = await default_rows_by_quarter(conn, table)
            default_rows[default_partition_name(table)] = sum(strays.values())
            if "premake" in req.steps:
                for quarter in (today.add(n) for n in range(future + 1)):
                    if quarter not in hot and quarter not in cold:
                        ensure[(table, quarter)] = PartitionTask(
                            "ensure_partition", quarter.label, table, table, "future"
                        )
            if "drain" in req.steps:
                for quarter in sorted(strays):
                    if quarter in cold:
                        drains.append(
                            PartitionTask(
                                "drain_default_to_archive",
                                quarter.label,
                                table,
                                archive_name(table),
                                "strays",
                            )
                        )
                    elif quarter not in hot:
                        ensure[(table, quarter)] = PartitionTask(
                            "ensure_partition", quarter.label, table, home(table, quarter), "strays"
                        )
            # Recovery is part of every run: finish whatever a crashed run left standalone.
            for quarter in list(await standalone_quarters(conn, table)) + list(
                await detach_pending(conn, table)
            ):
                if home(table, quarter) == table:
                    ensure[(table, quarter)] = PartitionTask(
                        "ensure_partition", quarter.label, table, table, "orphan"
                    )
                else:
                    archive.setdefault(quarter, "orphan")
            if "retention" in req.steps:
                for quarter in hot:
                    if belongs_in_archive(quarter, cutoff, held):
                        archive.setdefault(quarter, "retention")
    tasks = sorted(ensure.values(), key=lambda t: (t.quarter, t.table or ""))
    tasks += [
        PartitionTask("archive_quarter", q.label, None, "archive", reason)
        for q, reason in sorted(archive.items())
    ]
    tasks += drains
    if "statistics" in req.steps:
        async with async_engine().connect() as conn:
            stale = await parents_unanalysed_since(conn, as_of)
        tasks += [PartitionTask("analyze_parent", "", t, t, "statistics") for t in stale]
    return MaintenancePlan(
        as_of.isoformat(), cutoff.isoformat(), future, retention, default_rows, tasks
    )


# ----------------------------------------------------------------------------- default partition


async def _move_strays(
    conn: AsyncConnection, table: str, into: str, quarter: Quarter, limit: int | None
) -> int:
    """Move rows of `quarter` from the hot default partition into the standalone table `into`."""
    cols = ", ".join(await column_names(conn, table))
    pick = f"SELECT ctid FROM {ident(default_partition_name(table))} WHERE created_at >= :s AND created_at < :e"
    if limit is not None:
        pick += f" LIMIT {int(limit)}"
    result = await conn.execute(
        text(
            f"WITH moved AS (DELETE FROM {ident(default_partition_name(table))} "
            f"WHERE ctid = ANY(ARRAY({pick})) RETURNING {cols}) "
            f"INSERT INTO {ident(into)} ({cols}) SELECT {cols} FROM moved"
        ),
        {"s": quarter.start, "e": quarter.end},
    )
    return int(result.rowcount or 0)


@activity.defn
async def ensure_partition(inp: TaskInput) -> Action:
    """Make `<table>_<quarter>` a partition of its target parent, taking in any stray rows of
    its range from the hot default partition first. Safe to re-run after a crash at any point."""
    task = inp.task
    table, quarter = ident(task.table or ""), Quarter.parse(task.quarter)
    target = ident(task.target or table)
    name = ident(partition_name(table, quarter))
    opts = {"lock_timeout_ms": inp.lock_timeout_ms, "attempts": inp.lock_attempts}

    async def prepare(conn: AsyncConnection) -> str | None:
        where = await locate(conn, name)
        if where is None:
            await conn.execute(text(f"CREATE TABLE {name} (LIKE {table} INCLUDING ALL)"))
            await conn.execute(
                text(f"ALTER TABLE {name} ADD CONSTRAINT {name}_bounds {bounds_check(quarter)}")
            )
            return ""
        return where

    where = await in_lock_tx(prepare, what=f"create {name}", **opts)
    if where:
        return Action(
            "ensure_partition", quarter.label, table, where, 0, f"already attached to {where}"
        )
    moved = 0
    # Many strays: move them in batches first, each batch its own short transaction.
    while True:

        async def batch(conn: AsyncConnection) -> int:
            return await _move_strays(conn, table, name, quarter, inp.batch_rows)

        n = await in_lock_tx(batch, what=f"move strays into {name}", **opts)
        moved += n
        beat({"partition": name, "moved": moved})
        if n < inp.batch_rows:
            break

    async def attach(conn: AsyncConnection) -> int:
        if await locate(conn, name):  # a concurrent run finished it
            return 0
        await _ensure_bounds_check(conn, name, quarter)
        rest = await _move_strays(conn, table, name, quarter, None)
        await conn.execute(
            text(f"ALTER TABLE {target} ATTACH PARTITION {name} {for_values(quarter)}")
        )
        return rest

    moved += await in_lock_tx(attach, what=f"attach {name} to {target}", **opts)
    detail = (
        f"moved {moved} row(s) out of {default_partition_name(table)}" if moved else task.reason
    )
    return Action("ensure_partition", quarter.label, table, target, moved, detail)


async def _ensure_bounds_check(conn: AsyncConnection, name: str, quarter: Quarter) -> None:
    """A valid CHECK matching the bounds, so ATTACH need not scan the table (cheap on a table
    nobody reads yet; partitions in use get theirs through `validate_bounds_check`)."""
    has = (
        await conn.execute(
            text(
                "SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass(:t) AND conname = :c AND convalidated"
            ),
            {"t": name, "c": f"{name}_bounds"},
        )
    ).first()
    if not has:
        await conn.execute(text(f"ALTER TABLE {name} DROP CONSTRAINT IF EXISTS {name}_bounds"))
        await conn.execute(
            text(f"ALTER TABLE {name} ADD CONSTRAINT {name}_bounds {bounds_check(quarter)}")
        )


@activity.defn
async def drain_default_to_archive(inp: TaskInput) -> Action:
    """Rows that arrived for an already archived quarter (a late sync of an old order) go to the
    archive: newer data wins on conflict; verified as deleted == inserted + updated."""
    task = inp.task
    table, quarter = ident(task.table or ""), Quarter.parse(task.quarter)
    target = ident(archive_name(table))
    default = ident(default_partition_name(table))
    opts = {"lock_timeout_ms": inp.lock_timeout_ms, "attempts": inp.lock_attempts}
    totals = {"deleted": 0, "inserted": 0, "updated": 0}
    while True:

        async def batch(conn: AsyncConnection) -> dict[str, int]:
            cols = await column_names(conn, table)
            key = await primary_key(conn, table)
            listed = ", ".join(cols)
            sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in cols if c not in key)
            row = (
                await conn.execute(
                    text(
                        f"WITH moved AS (DELETE FROM {default} WHERE ctid = ANY(ARRAY("
                        f"SELECT ctid FROM {default} WHERE created_at >= :s AND created_at < :e "
                        f"LIMIT {int(inp.batch_rows)})) RETURNING {listed}), "
                        f"written AS (INSERT INTO {target} ({listed}) SELECT {listed} FROM moved "
                        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets} RETURNING (xmax = 0) AS fresh) "
                        "SELECT (SELECT count(*) FROM moved), count(*) FILTER (WHERE fresh), "
                        "count(*) FILTER (WHERE NOT fresh) FROM written"
                    ),
                    {"s": quarter.start, "e": quarter.end},
                )
            ).one()
            deleted, inserted, updated = (int(v) for v in row)
            if deleted != inserted + updated:
                raise ApplicationError(
                    f"draining {default} into {target} for {quarter}: deleted {deleted} row(s) but "
                    f"wrote {inserted + updated}; rolled back",
                    type="VerificationFailed",
                    non_retryable=True,
                )
            return {"deleted": deleted, "inserted": inserted, "updated": updated}

        got = await in_lock_tx(batch, what=f"drain {default} into {target}", **opts)
        for k, v in got.items():
            totals[k] += v
        beat(totals)
        if got["deleted"] < inp.batch_rows:
            break
    detail = f"{totals['inserted']} new, {totals['updated']} newer versions of archived rows"
    return Action(
        "drain_default_to_archive", quarter.label, table, target, totals["deleted"], detail
    )


# ----------------------------------------------------------------------------- statistics


async def parents_unanalysed_since(conn: AsyncConnection, day: date) -> list[str]:
    """Partitioned tables (hot and archive, with partitions) not analysed since the start of
    `day` (UTC).

    Autovacuum never analyses a partitioned parent, so without this its statistics are those
    of its last large snapshot run (or none): estimates of queries across quarters (the orders
    text filter, joins and GROUP BYs over orders) drift as webhooks and syncs add rows."""
    since = datetime(day.year, day.month, day.day, tzinfo=UTC)
    rows = await conn.execute(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid "
            "WHERE c.relkind = 'p' AND n.nspname = current_schema() AND c.relname = ANY(:names) "
            "AND COALESCE(GREATEST(s.last_analyze, s.last_autoanalyze), '-infinity') < :since "
            # one without partitions has nothing to sample (ANALYZE leaves it unanalysed)
            "AND EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhparent = c.oid) "
            "ORDER BY c.relname"
        ),
        {"names": [*HOT_TABLES, *(archive_name(t) for t in HOT_TABLES)], "since": since},
    )
    return [r[0] for r in rows]


@activity.defn
async def analyze_parent(inp: TaskInput) -> Action:
    """ANALYZE one partitioned table: the statistics of the whole, and of every partition on
    the way (PostgreSQL 15 recurses). Seconds at 8 M rows; heartbeats while it runs."""
    table = ident(inp.task.table or "")
    conn = await raw_connection()
    try:
        statement = sql.SQL("ANALYZE {}").format(sql.Identifier(table))
        await with_heartbeats(conn.execute(statement), f"analyze {table}")
    finally:
        await conn.close()
    return Action("analyze_parent", "", table, table, 0, "statistics refreshed")


# ----------------------------------------------------------------------------- run records


@activity.defn
async def start_maintenance_run(start: RunStart) -> int:
    async with session_scope() as session:
        stmt = (
            insert(MaintenanceRun)
            .values(
                kind=start.kind,
                workflow_id=start.workflow_id,
                run_id=start.run_id,
                params=start.params,
            )
            .on_conflict_do_update(
                index_elements=["workflow_id", "run_id"], set_={"status": "running"}
            )
            .returning(MaintenanceRun.id)
        )
        return int((await session.execute(stmt)).scalar_one())


@activity.defn
async def finish_maintenance_run(finish: RunFinish) -> None:
    async with session_scope() as session:
        await session.execute(
            update(MaintenanceRun)
            .where(MaintenanceRun.id == finish.maintenance_run_id)
            .values(
                status=finish.status,
                actions=[asdict(a) for a in finish.actions],
                error=finish.error,
                finished_at=datetime.now(UTC),
            )
        )
