"""Activities of the online legacy-table migration (see workflows/maintenance/legacy_migration.py).

The target layout comes from our model (`Base.metadata`), created beside the legacy table as
`<table>_migrating` with quarter partitions; names get their final form at the swap. The
`legacy_migration_changes` log, filled by a row trigger on the legacy table, makes every write
after `prepare` visible to the replay, so the copy may run while the shop keeps writing.
Progress lives in `legacy_migrations` and moves in the same transaction as the copied rows,
so an activity restarted anywhere resumes exactly where the last commit left it.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import MetaData, Table, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.schema import CreateIndex, CreateTable
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.maintenance.partitions import beat, ident, in_lock_tx
from db.engine import async_engine, session_scope
from db.models import Base
from db.models.maintenance import (
    HOT_TABLES,
    archive_name,
    history_view_name,
    history_view_sql,
    twin_table,
)
from db.notify import notify
from db.partitions import Quarter, quarters_between
from db.tagged_cache import invalidate, shop_tag
from workflows.maintenance.legacy_migration import (
    LegacyMigrationRequest,
    MigrationState,
    Verification,
    VerifyInput,
)
from workflows.maintenance.partitions import BAD_REQUEST, VERIFICATION_FAILED

CALL_BUDGET_S = 20.0  # one activity call stops after this long, so progress shows regularly
CAPTURE_FUNCTION = """
CREATE OR REPLACE FUNCTION legacy_migration_capture() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO legacy_migration_changes (table_name, legacy_id, old_row)
  VALUES (TG_ARGV[0],
          ((CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END) ->> TG_ARGV[1])::bigint,
          CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) END);
  RETURN NULL;
END $$
"""


def _names(table: str) -> dict[str, str]:
    ident(table)
    return {
        "legacy": table,
        "target": ident(f"{table}_migrating"),
        "kept": ident(f"{table}_legacy"),
        "trigger": ident(f"{table}_capture_changes"),
    }


def _model(table: str) -> Table:
    try:
        return Base.metadata.tables[table]
    except KeyError:
        raise ApplicationError(
            f"no model for table {table!r}: the target layout is taken from db/models",
            type=BAD_REQUEST,
            non_retryable=True,
        ) from None


def _target_ddl(table: str, target: str) -> list[str]:
    twin = twin_table(_model(table), target, MetaData())
    dialect = postgresql.dialect()
    return [str(CreateTable(twin).compile(dialect=dialect))] + [
        str(CreateIndex(ix).compile(dialect=dialect))
        for ix in sorted(twin.indexes, key=lambda i: str(i.name))
    ]


async def _column_types(conn: AsyncConnection, relation: str) -> dict[str, str]:
    rows = await conn.execute(
        text(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = to_regclass(:t) AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
        ),
        {"t": relation},
    )
    return {name: kind for name, kind in rows}


async def _recorded_state(conn: AsyncConnection, table: str) -> MigrationState:
    """The state a step has just written."""
    state = await _state(conn, table)
    if state is None:
        raise ApplicationError(f"no legacy migration of {table} is recorded", non_retryable=True)
    return state


async def _state(conn: AsyncConnection, table: str, *, lock: bool = False) -> MigrationState | None:
    row = (
        (
            await conn.execute(
                text(
                    "SELECT phase, high_water, last_key, legacy_rows, copied_rows, replayed_change_id, "
                    "changes_replayed, (SELECT count(*) FROM legacy_migration_changes c "
                    "WHERE c.table_name = m.table_name AND c.id > m.replayed_change_id) "
                    f"FROM legacy_migrations m WHERE table_name = :t{' FOR UPDATE' if lock else ''}"
                ),
                {"t": table},
            )
        )
        .first()
    )
    if row is None:
        return None
    phase, *counts = row
    return MigrationState(table, str(phase), *(int(v) for v in counts))


class _Copy:
    """SQL pieces shared by copy, replay and verify, built from the target's columns."""

    def __init__(self, table: str, key_column: str, types: dict[str, str], pk: list[str]) -> None:
        self.names = _names(table)
        self.key = ident(key_column)
        self.cols = [ident(c) for c in types]
        self.types = types
        self.pk = pk
        listed = ", ".join(self.cols)
        sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in self.cols if c not in pk)
        self.listed = listed
        self.upsert_tail = f"ON CONFLICT ({', '.join(pk)}) DO UPDATE SET {sets}"

    def casted(self, alias: str) -> str:
        """The legacy row's columns cast to the target's types (numeric scale, varchar length)."""
        return ", ".join(f"{alias}.{c}::{self.types[c]}" for c in self.cols)

    def row_hash(self, alias: str, cast: bool) -> str:
        cols = self.casted(alias) if cast else ", ".join(f"{alias}.{c}" for c in self.cols)
        return f"hashtextextended(ROW({cols})::text, 0)"

    def key_match(self, left: str, right: str) -> str:
        return " AND ".join(f"{left}.{c} = {right}.{c}" for c in self.pk)


async def _copy_sql(conn: AsyncConnection, req: LegacyMigrationRequest) -> _Copy:
    names = _names(req.table)
    types = await _column_types(conn, names["target"])
    pk = [
        ident(c)
        for (c,) in await conn.execute(
            text(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                "AND a.attnum = ANY(i.indkey::int2[]) WHERE i.indrelid = to_regclass(:t) AND i.indisprimary "
                "ORDER BY array_position(i.indkey::int2[], a.attnum)"
            ),
            {"t": names["target"]},
        )
    ]
    return _Copy(req.table, req.key_column, types, pk)


@activity.defn
async def prepare_legacy_migration(req: LegacyMigrationRequest) -> MigrationState:
    """Create the partitioned target and the change capture; idempotent (resumes a started run)."""
    names = _names(req.table)
    model_columns = [c.name for c in _model(req.table).columns]

    async def build_target(conn: AsyncConnection) -> MigrationState | None:
        state = await _state(conn, req.table)
        if state is not None:
            return state
        legacy = await _column_types(conn, names["legacy"])
        kind = (
            await conn.execute(
                text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"), {"t": req.table}
            )
        ).scalar()
        if kind != "r":
            raise ApplicationError(
                f"{req.table} is not an ordinary (unpartitioned) table; nothing to migrate",
                type=BAD_REQUEST,
                non_retryable=True,
            )
        missing = [c for c in [req.key_column, *model_columns] if c not in legacy]
        if missing:
            raise ApplicationError(
                f"legacy {req.table} lacks column(s) {', '.join(missing)} that the migration needs",
                type=BAD_REQUEST,
                non_retryable=True,
            )
        if await _column_types(conn, names["target"]):
            return None
        for ddl in _target_ddl(req.table, names["target"]):
            await conn.execute(text(ddl))
        bounds = (
            await conn.execute(
                text(f"SELECT min(created_at), max(created_at) FROM {names['legacy']}")
            )
        ).one()
        now = Quarter.of(datetime.now(UTC))
        first = Quarter.of(bounds[0]) if bounds[0] else now
        last = max(Quarter.of(bounds[1]) if bounds[1] else now, now).add(req.future_quarters)
        for quarter in quarters_between(first, last):
            if (
                await conn.execute(
                    text("SELECT to_regclass(:n)"), {"n": f"{req.table}_{quarter.label}"}
                )
            ).scalar():
                raise ApplicationError(
                    f"{req.table}_{quarter.label} already exists (archived?); it would clash at the swap",
                    type=BAD_REQUEST,
                    non_retryable=True,
                )
            await conn.execute(
                text(
                    f"CREATE TABLE {ident(names['target'] + '_' + quarter.label)} PARTITION OF {names['target']} "
                    f"FOR VALUES FROM ('{quarter.start.isoformat()}') TO ('{quarter.end.isoformat()}')"
                )
            )
        await conn.execute(
            text(f"CREATE TABLE {names['target']}_default PARTITION OF {names['target']} DEFAULT")
        )
        return None

    async def capture(conn: AsyncConnection) -> MigrationState:
        state = await _state(conn, req.table)
        if state is not None:
            return state
        await conn.execute(text(CAPTURE_FUNCTION))
        await conn.execute(text(f"DROP TRIGGER IF EXISTS {names['trigger']} ON {names['legacy']}"))
        await conn.execute(
            text(
                f"CREATE TRIGGER {names['trigger']} AFTER INSERT OR UPDATE OR DELETE ON {names['legacy']} "
                f"FOR EACH ROW EXECUTE FUNCTION legacy_migration_capture('{req.table}', '{ident(req.key_column)}')"
            )
        )
        # CREATE TRIGGER holds off writes until commit: every row above this key gets logged.
        high = (
            await conn.execute(
                text(f"SELECT coalesce(max({ident(req.key_column)}), 0) FROM {names['legacy']}")
            )
        ).scalar()
        estimate = (
            await conn.execute(
                text(
                    "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = to_regclass(:t)"
                ),
                {"t": req.table},
            )
        ).scalar()
        await conn.execute(
            text(
                "INSERT INTO legacy_migrations (table_name, key_column, phase, high_water, legacy_rows) "
                "VALUES (:t, :k, 'copying', :h, :n)"
            ),
            {"t": req.table, "k": req.key_column, "h": int(high or 0), "n": int(estimate or 0)},
        )
        return await _recorded_state(conn, req.table)

    opts = {"lock_timeout_ms": req.lock_timeout_ms, "attempts": req.lock_attempts}
    state = await in_lock_tx(
        build_target, what=f"create the partitioned copy of {req.table}", **opts
    )
    if state is not None:
        return state
    return await in_lock_tx(capture, what=f"capture writes to {req.table}", **opts)


@activity.defn
async def copy_legacy_batches(req: LegacyMigrationRequest) -> MigrationState:
    """Copy the next batches in key order; each batch and its progress commit together."""
    started = time.monotonic()
    for _ in range(req.batches_per_call):
        async with async_engine().begin() as conn:
            sql = await _copy_sql(conn, req)
            state = await _state(conn, req.table, lock=True)
            if state is None:
                raise ApplicationError(
                    f"migration of {req.table} was not prepared",
                    type=BAD_REQUEST,
                    non_retryable=True,
                )
            if state.copied:
                return state
            try:
                row = (
                    await conn.execute(
                        text(
                            f"WITH batch AS (SELECT * FROM {sql.names['legacy']} l WHERE {sql.key} > :last "
                            f"AND {sql.key} <= :high ORDER BY {sql.key} LIMIT {int(req.batch_rows)}), "
                            f"written AS (INSERT INTO {sql.names['target']} ({sql.listed}) "
                            f"SELECT {sql.casted('b')} FROM batch b {sql.upsert_tail} RETURNING 1) "
                            f"SELECT max({sql.key}), count(*), (SELECT count(*) FROM written) FROM batch"
                        ),
                        {"last": state.last_key, "high": state.high_water},
                    )
                ).one()
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", None) == "21000":  # same natural key twice
                    raise ApplicationError(
                        f"legacy {req.table} has rows sharing one key ({', '.join(sql.pk)}) after id "
                        f"{state.last_key}; deduplicate them, then re-run",
                        type=BAD_REQUEST,
                        non_retryable=True,
                    ) from None
                raise
            last = int(row[0]) if row[0] is not None else state.high_water
            await conn.execute(
                text(
                    "UPDATE legacy_migrations SET last_key = :k, copied_rows = copied_rows + :n, "
                    "phase = CASE WHEN :k >= high_water THEN 'copied' ELSE 'copying' END, updated_at = now() "
                    "WHERE table_name = :t"
                ),
                {"k": last, "n": int(row[2]), "t": req.table},
            )
            state = await _state(conn, req.table)
        beat({"last_key": last, "copied_rows": state.copied_rows if state else 0})
        if state is None or state.copied or time.monotonic() - started > CALL_BUDGET_S:
            break
    async with async_engine().connect() as conn:
        return await _recorded_state(conn, req.table)


async def _replay_batch(conn: AsyncConnection, req: LegacyMigrationRequest, sql: _Copy) -> int:
    """Apply the next logged writes: drop the target rows under the keys they had, then upsert
    the legacy rows as they are now. Returns how many log entries were applied."""
    state = await _state(conn, req.table, lock=True)
    assert state is not None
    changes = (
        await conn.execute(
            text(
                "SELECT id, legacy_id, old_row FROM legacy_migration_changes WHERE table_name = :t "
                f"AND id > :r ORDER BY id LIMIT {int(req.batch_rows)}"
            ),
            {"t": req.table, "r": state.replayed_change_id},
        )
    ).all()
    if not changes:
        return 0
    old_keys = [old for _, _, old in changes if old is not None]
    if old_keys:
        await conn.execute(
            text(
                f"DELETE FROM {sql.names['target']} t USING jsonb_populate_recordset("
                f"NULL::{sql.names['target']}, CAST(:keys AS jsonb)) k WHERE {sql.key_match('t', 'k')}"
            ),
            {"keys": json.dumps(old_keys)},
        )
    await conn.execute(
        text(
            f"INSERT INTO {sql.names['target']} ({sql.listed}) SELECT {sql.casted('l')} "
            f"FROM {sql.names['legacy']} l WHERE l.{sql.key} = ANY(:ids) {sql.upsert_tail}"
        ),
        {"ids": sorted({int(legacy_id) for _, legacy_id, _ in changes})},
    )
    await conn.execute(
        text(
            "UPDATE legacy_migrations SET replayed_change_id = :c, changes_replayed = changes_replayed + :n, "
            "updated_at = now() WHERE table_name = :t"
        ),
        {"c": int(changes[-1][0]), "n": len(changes), "t": req.table},
    )
    return len(changes)


@activity.defn
async def replay_legacy_changes(req: LegacyMigrationRequest) -> MigrationState:
    """Catch up with the writes logged since `prepare`, until less than a batch is waiting."""
    started = time.monotonic()
    while time.monotonic() - started < CALL_BUDGET_S:
        async with async_engine().begin() as conn:
            sql = await _copy_sql(conn, req)
            applied = await _replay_batch(conn, req, sql)
        beat({"applied": applied})
        if applied < req.batch_rows:
            break
    async with async_engine().connect() as conn:
        return await _recorded_state(conn, req.table)


def _quarterly(sql: _Copy, relation: str, alias: str, legacy: bool) -> str:
    """Per quarter: rows, money and the sum of row hashes, leaving out rows with unreplayed writes."""
    skip = f"NOT EXISTS (SELECT 1 FROM excluded_keys e WHERE {sql.key_match('e', alias)})"
    if legacy:
        skip += f" AND NOT EXISTS (SELECT 1 FROM pending_ids p WHERE p.id = {alias}.{sql.key})"
    money = "price_with_vat" if "price_with_vat" in sql.cols else "total_with_vat"
    return (
        f"SELECT to_char(date_trunc('quarter', {alias}.created_at AT TIME ZONE 'UTC'), 'YYYY\"q\"Q') AS q, "
        f"count(*) AS n, sum({alias}.{money}) AS money, sum({sql.row_hash(alias, legacy)}) AS checksum "
        f"FROM {relation} {alias} WHERE {skip} GROUP BY 1"
    )


@activity.defn
async def verify_legacy_migration(inp: VerifyInput) -> Verification:
    """Compare legacy and target per quarter (rows, money, checksum) in one REPEATABLE READ
    snapshot. Rows whose writes are logged but not yet replayed are left out on both sides,
    so the comparison is exact while the shop keeps writing."""
    req = inp.request
    async with async_engine().connect() as raw:
        conn = await raw.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            sql = await _copy_sql(conn, req)
            state = await _state(conn, req.table)
            assert state is not None
            await conn.execute(
                text(
                    "CREATE TEMP TABLE pending_ids ON COMMIT DROP AS SELECT DISTINCT legacy_id AS id "
                    "FROM legacy_migration_changes WHERE table_name = :t AND id > :r"
                ),
                {"t": req.table, "r": state.replayed_change_id},
            )
            pk = ", ".join(sql.pk)
            await conn.execute(
                text(
                    f"CREATE TEMP TABLE excluded_keys ON COMMIT DROP AS "
                    f"SELECT {pk} FROM jsonb_populate_recordset(NULL::{sql.names['target']}, "
                    "(SELECT coalesce(jsonb_agg(old_row), '[]') FROM legacy_migration_changes "
                    "WHERE table_name = :t AND id > :r AND old_row IS NOT NULL)) "
                    f"UNION SELECT {', '.join(f'l.{c}' for c in sql.pk)} FROM {sql.names['legacy']} l "
                    f"JOIN pending_ids p ON p.id = l.{sql.key}"
                ),
                {"t": req.table, "r": state.replayed_change_id},
            )
            excluded = int(
                (await conn.execute(text("SELECT count(*) FROM excluded_keys"))).scalar() or 0
            )
            legacy = {
                r.q: r
                for r in await conn.execute(text(_quarterly(sql, sql.names["legacy"], "l", True)))
            }
            target = {
                r.q: r
                for r in await conn.execute(text(_quarterly(sql, sql.names["target"], "t", False)))
            }
    quarters: dict[str, dict[str, Any]] = {}
    mismatched: list[str] = []
    for q in sorted(set(legacy) | set(target)):
        a, b = legacy.get(q), target.get(q)
        entry = {
            "legacy_rows": a.n if a else 0,
            "target_rows": b.n if b else 0,
            "legacy_money": str(a.money) if a else "0",
            "target_money": str(b.money) if b else "0",
            "checksum_equal": bool(a and b and a.checksum == b.checksum),
        }
        quarters[q] = entry
        if not (a and b and (a.n, a.money, a.checksum) == (b.n, b.money, b.checksum)):
            mismatched.append(q)
    result = Verification(not mismatched, quarters, mismatched, excluded)
    async with session_scope() as session:
        await session.execute(
            text(
                "UPDATE legacy_migrations SET verification = CAST(:v AS jsonb), updated_at = now() WHERE table_name = :t"
            ),
            {
                "v": json.dumps(
                    {"ok": result.ok, "mismatched": mismatched, "excluded_rows": excluded}
                ),
                "t": req.table,
            },
        )
        if mismatched and inp.final:
            await notify(
                session,
                level="critical",
                kind="maintenance.verify_failed",
                key=f"legacy:{req.table}",
                title=f"Legacy migration of {req.table}: quarters differ",
                title_cs=f"Převod starší tabulky {req.table}: čtvrtletí se liší",
                body=", ".join(f"{q}: {quarters[q]}" for q in mismatched),
                body_cs="; ".join(_quarter_cs(q, quarters[q]) for q in mismatched),
                data={"table": req.table, "mismatched": mismatched},
            )
    if mismatched and inp.final:
        raise ApplicationError(
            f"legacy {req.table} and its copy differ in {', '.join(mismatched)}; the swap was not done",
            type=VERIFICATION_FAILED,
            non_retryable=True,
        )
    return result


def _quarter_cs(quarter: str, entry: dict[str, Any]) -> str:
    """`2024Q1: řádky 10 / 9, částky 1200.00 / 1100.00, kontrolní součet se liší`."""
    checksum = "shodný" if entry["checksum_equal"] else "se liší"
    return (
        f"{quarter}: řádky {entry['legacy_rows']} / {entry['target_rows']}, částky "
        f"{entry['legacy_money']} / {entry['target_money']}, kontrolní součet {checksum}"
    )


@activity.defn
async def swap_legacy_table(req: LegacyMigrationRequest) -> MigrationState:
    """In one short transaction: block writes to the legacy table, replay the last logged
    writes, stop the capture and swap the names (tables, keys, indexes, partitions, view)."""
    names = _names(req.table)
    async with async_engine().begin() as conn:  # fresh statistics before the planner meets it
        state = await _state(conn, req.table)
        if state is not None and state.phase != "swapped":
            await conn.execute(text(f"ANALYZE {names['target']}"))

    async def swap(conn: AsyncConnection) -> MigrationState:
        state = await _state(conn, req.table, lock=True)
        if state is None:
            raise ApplicationError(
                f"migration of {req.table} was not prepared", type=BAD_REQUEST, non_retryable=True
            )
        if state.phase == "swapped":
            return state
        await conn.execute(
            text(f"LOCK TABLE {names['legacy']}, {names['target']} IN ACCESS EXCLUSIVE MODE")
        )
        sql = await _copy_sql(conn, req)
        while await _replay_batch(conn, req, sql):
            pass
        await conn.execute(text(f"DROP TRIGGER {names['trigger']} ON {names['legacy']}"))
        renames = await conn.execute(
            text(
                "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "WHERE x.indrelid = to_regclass(:t)"
            ),
            {"t": names["target"]},
        )
        target_indexes = [ident(n) for (n,) in renames]
        final = {n: ident(n.replace(names["target"], req.table, 1)) for n in target_indexes}
        for wanted in final.values():  # a legacy index already using a final name steps aside
            if (await conn.execute(text("SELECT to_regclass(:n)"), {"n": wanted})).scalar():
                await conn.execute(
                    text(f"ALTER INDEX {wanted} RENAME TO {ident(wanted[:56] + '_legacy')}")
                )
        await conn.execute(text(f"ALTER TABLE {names['legacy']} RENAME TO {names['kept']}"))
        await conn.execute(text(f"ALTER TABLE {names['target']} RENAME TO {req.table}"))
        for old, new in final.items():
            if old != new:
                await conn.execute(text(f"ALTER INDEX {old} RENAME TO {new}"))
        parts = await conn.execute(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(:t)"
            ),
            {"t": req.table},
        )
        for (part,) in parts.all():
            await conn.execute(
                text(
                    f"ALTER TABLE {ident(part)} RENAME TO {ident(part.replace(names['target'], req.table, 1))}"
                )
            )
        if (
            req.table in HOT_TABLES
            and (
                await conn.execute(text("SELECT to_regclass(:a)"), {"a": archive_name(req.table)})
            ).scalar()
        ):
            await conn.execute(text(f"DROP VIEW IF EXISTS {history_view_name(req.table)}"))
            await conn.execute(text(history_view_sql(req.table)))
        await conn.execute(
            text(
                "UPDATE legacy_migrations SET phase = 'swapped', swapped_at = now(), updated_at = now() WHERE table_name = :t"
            ),
            {"t": req.table},
        )
        return await _recorded_state(conn, req.table)

    swapped = await in_lock_tx(
        swap,
        what=f"swap {req.table}",
        lock_timeout_ms=req.lock_timeout_ms,
        attempts=req.lock_attempts,
    )
    await _invalidate_cached_answers(req.table)
    return swapped


async def _invalidate_cached_answers(table: str) -> None:
    """Cached answers built on the table before the swap (order pages, status counts) were read
    from the legacy rows: every shop's tag of that resource moves (after the commit)."""
    resource = {"orders": "orders", "order_items": "orders"}.get(table)
    if resource is None:
        return
    async with async_engine().connect() as conn:
        shops = (await conn.execute(text("SELECT id FROM shops"))).scalars().all()
    await invalidate(*(shop_tag(int(s), resource) for s in shops))
