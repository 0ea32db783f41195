"""Move a quarter between the hot tables and the archive: a detach/attach, verified.

Both tables' partitions of a quarter move in one transaction with a plain DETACH and an
ATTACH, so there is no moment when a quarter is in neither table and no crash window
between the two (DETACH … CONCURRENTLY would need two transactions, and is refused while
the hot tables have a default partition). The ACCESS EXCLUSIVE lock on the hot parents lasts
milliseconds: the partition's bounds CHECK is validated beforehand (without blocking), so
ATTACH does not scan. Should a quarter still be found standalone (a crash of an older
two-step move, an interrupted concurrent detach, a hand-run DETACH), the next run attaches it
where it belongs, once.

Verify: count and money sum of each partition under a SHARE lock before the move, the same
through the target parent after it; recorded in `partition_moves`. A mismatch raises a
critical notification and fails the run without retrying.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.maintenance.partitions import (
    bounds_check,
    column_names,
    for_values,
    ident,
    in_lock_tx,
    locate,
    primary_key,
)
from db.engine import async_engine, session_scope
from db.models.maintenance import HOT_TABLES, MONEY_COLUMN, ArchiveHold, PartitionMove, archive_name
from db.notify import cs_count, cs_number, notify
from db.partitions import Quarter, default_partition_name, partition_name
from workflows.maintenance.partitions import (
    BAD_REQUEST,
    VERIFICATION_FAILED,
    Action,
    RestoreInput,
    TaskInput,
)


@dataclass(frozen=True)
class Tally:
    rows: int
    money: Decimal

    def __str__(self) -> str:
        return f"{self.rows} rows, {self.money}"

    def cs(self) -> str:
        """`1 234 řádků, částky 56 789,5`: the tally as a Czech notification says it."""
        rows = cs_count(self.rows, "řádek", "řádky", "řádků")
        return f"{rows}, částky {cs_number(float(self.money), 2)}"


async def tally(
    conn: AsyncConnection, relation: str, table: str, quarter: Quarter | None = None
) -> Tally:
    """Count and money sum of a relation (a partition, or a parent limited to the quarter)."""
    where = " WHERE created_at >= :s AND created_at < :e" if quarter else ""
    params = {"s": quarter.start, "e": quarter.end} if quarter else {}
    row = (
        await conn.execute(
            text(
                f"SELECT count(*), coalesce(sum({MONEY_COLUMN[table]}), 0) FROM {ident(relation)}{where}"
            ),
            params,
        )
    ).one()
    return Tally(int(row[0]), Decimal(row[1]))


async def _validated_bounds_check(
    name: str, quarter: Quarter, lock_timeout_ms: int, attempts: int
) -> None:
    """Give a partition in use a valid CHECK of its bounds without blocking its readers and
    writers for a scan: ADD … NOT VALID (a brief lock), then VALIDATE (SHARE UPDATE EXCLUSIVE)."""
    constraint = f"{name}_bounds"

    async def state(conn: AsyncConnection) -> bool | None:
        row = (
            await conn.execute(
                text(
                    "SELECT convalidated FROM pg_constraint WHERE conrelid = to_regclass(:t) AND conname = :c"
                ),
                {"t": name, "c": constraint},
            )
        ).first()
        return None if row is None else bool(row[0])

    async def add(conn: AsyncConnection) -> None:
        if await state(conn) is None:
            await conn.execute(
                text(
                    f"ALTER TABLE {name} ADD CONSTRAINT {constraint} {bounds_check(quarter)} NOT VALID"
                )
            )

    async def validate(conn: AsyncConnection) -> None:
        if not await state(conn):
            await conn.execute(text(f"ALTER TABLE {name} VALIDATE CONSTRAINT {constraint}"))

    await in_lock_tx(
        add, what=f"add bounds check to {name}", lock_timeout_ms=lock_timeout_ms, attempts=attempts
    )
    await in_lock_tx(
        validate,
        what=f"validate bounds of {name}",
        lock_timeout_ms=lock_timeout_ms,
        attempts=attempts,
    )


async def _record(
    maintenance_run_id: int,
    kind: str,
    quarter: Quarter,
    moves: dict[str, tuple[str, str, Tally, Tally]],
) -> list[Action]:
    """Compare before/after, store the comparison, and fail loudly on any difference."""
    actions: list[Action] = []
    wrong: list[str] = []
    wrong_cs: list[str] = []
    async with session_scope() as session:
        for table, (source, target, before, after) in moves.items():
            ok = before == after
            session.add(
                PartitionMove(
                    maintenance_run_id=maintenance_run_id,
                    kind=kind,
                    table_name=table,
                    quarter=quarter.label,
                    source=source,
                    target=target,
                    rows_before=before.rows,
                    sum_before=before.money,
                    rows_after=after.rows,
                    sum_after=after.money,
                    verified=ok,
                    detail=None if ok else f"before {before}; after {after}",
                )
            )
            if not ok:
                wrong.append(f"{table} {quarter}: before {before}, after {after}")
                wrong_cs.append(f"{table} {quarter}: před {before.cs()}, po {after.cs()}")
            actions.append(
                Action(
                    kind,
                    quarter.label,
                    table,
                    target,
                    after.rows,
                    f"verified {after} ({source} -> {target})",
                )
            )
        if wrong:
            await notify(
                session,
                level="critical",
                kind="maintenance.verify_failed",
                key=f"archive:{quarter.label}:{kind}",
                title=f"Archive verification failed for {quarter}",
                title_cs=f"Ověření archivace čtvrtletí {quarter} selhalo",
                body="; ".join(wrong),
                body_cs="; ".join(wrong_cs),
                data={"quarter": quarter.label, "kind": kind},
            )
    if wrong:
        raise ApplicationError(
            f"{kind} of {quarter} changed the data: " + "; ".join(wrong),
            type=VERIFICATION_FAILED,
            non_retryable=True,
        )
    return actions


@activity.defn
async def archive_quarter(inp: TaskInput) -> Action:
    """Detach a quarter of orders and order_items from the hot tables and attach it to the archive."""
    quarter = Quarter.parse(inp.task.quarter)
    opts = {"lock_timeout_ms": inp.lock_timeout_ms, "attempts": inp.lock_attempts}
    names = {t: ident(partition_name(t, quarter)) for t in HOT_TABLES}

    async def where(conn: AsyncConnection) -> dict[str, str | None]:
        return {t: await locate(conn, name) for t, name in names.items()}

    places = await in_lock_tx(where, what=f"locate {quarter}", **opts)
    for table, place in places.items():
        if place not in (None, "", table, archive_name(table)):
            raise ApplicationError(
                f"{names[table]} is attached to {place}, not to {table} or its archive; leaving it alone",
                type=BAD_REQUEST,
                non_retryable=True,
            )
        if place is not None and place != archive_name(table):
            await _validated_bounds_check(
                names[table], quarter, inp.lock_timeout_ms, inp.lock_attempts
            )

    async def move(conn: AsyncConnection) -> dict[str, tuple[str, Tally]]:
        here = {t: await locate(conn, n) for t, n in names.items()}
        todo = {t: p for t, p in here.items() if p is not None and p != archive_name(t)}
        if not todo:
            return {}
        await conn.execute(text(f"LOCK TABLE {', '.join(names[t] for t in todo)} IN SHARE MODE"))
        before = {t: (p or "standalone", await tally(conn, names[t], t)) for t, p in todo.items()}
        attached = [t for t, p in todo.items() if p]
        if attached:
            await conn.execute(text(f"LOCK TABLE {', '.join(attached)} IN ACCESS EXCLUSIVE MODE"))
        for table in todo:
            if table in attached:
                await conn.execute(text(f"ALTER TABLE {table} DETACH PARTITION {names[table]}"))
            await conn.execute(
                text(
                    f"ALTER TABLE {archive_name(table)} ATTACH PARTITION {names[table]} {for_values(quarter)}"
                )
            )
        return before

    moved = await in_lock_tx(move, what=f"move {quarter} to the archive", **opts)
    if not moved:
        return Action(
            "archive_quarter", quarter.label, "all", "archive", 0, "already in the archive"
        )
    async with async_engine().connect() as conn:
        after = {t: await tally(conn, archive_name(t), t, quarter) for t in moved}
    kind = "recover" if any(src == "standalone" for src, _ in moved.values()) else "archive"
    actions = await _record(
        inp.maintenance_run_id,
        kind,
        quarter,
        {t: (src, archive_name(t), before, after[t]) for t, (src, before) in moved.items()},
    )
    rows = sum(a.rows for a in actions if a.table == "orders")
    return Action(
        "archive_quarter",
        quarter.label,
        "all",
        "archive",
        rows,
        "; ".join(f"{a.table}: {a.detail}" for a in actions),
    )


async def _absorb_strays(conn: AsyncConnection, table: str, into: str, quarter: Quarter) -> int:
    """Rows of the quarter that landed in the hot default while it was archived (late syncs):
    upsert them into the partition being restored, the newer version winning."""
    cols = await column_names(conn, table)
    key = await primary_key(conn, table)
    listed = ", ".join(cols)
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in cols if c not in key)
    default = ident(default_partition_name(table))
    result = await conn.execute(
        text(
            f"WITH moved AS (DELETE FROM {default} WHERE created_at >= :s AND created_at < :e "
            f"RETURNING {listed}) INSERT INTO {into} ({listed}) SELECT {listed} FROM moved "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}"
        ),
        {"s": quarter.start, "e": quarter.end},
    )
    return int(result.rowcount or 0)


@activity.defn
async def restore_quarter(inp: RestoreInput) -> list[Action]:
    """Detach a quarter from the archive, take in its late strays, attach it to the hot tables,
    and hold it there (retention skips it) until `held_until`."""
    try:
        quarter = Quarter.parse(inp.quarter)
        held_until = datetime.fromisoformat(inp.held_until)
    except ValueError as exc:
        raise ApplicationError(str(exc), type=BAD_REQUEST, non_retryable=True) from None
    names = {t: ident(partition_name(t, quarter)) for t in HOT_TABLES}

    async def move(conn: AsyncConnection) -> dict[str, tuple[str, Tally, int, Tally]]:
        here = {t: await locate(conn, n) for t, n in names.items()}
        if all(p is None for p in here.values()):
            raise ApplicationError(
                f"quarter {quarter} is neither in the archive nor hot: there is nothing to restore",
                type=BAD_REQUEST,
                non_retryable=True,
            )
        hold = insert(ArchiveHold).values(
            quarter=quarter.label, held_until=held_until, reason="restored"
        )
        await conn.execute(
            hold.on_conflict_do_update(index_elements=["quarter"], set_={"held_until": held_until})
        )
        todo = {t: p for t, p in here.items() if p is not None and p != t}
        if not todo:
            return {}
        await conn.execute(text(f"LOCK TABLE {', '.join(names[t] for t in todo)} IN SHARE MODE"))
        out: dict[str, tuple[str, Tally, int, Tally]] = {}
        archived = [archive_name(t) for t, p in todo.items() if p]
        if archived:
            await conn.execute(text(f"LOCK TABLE {', '.join(archived)} IN ACCESS EXCLUSIVE MODE"))
        for table, place in todo.items():
            name = names[table]
            before = await tally(conn, name, table)
            if place:
                await conn.execute(text(f"ALTER TABLE {place} DETACH PARTITION {name}"))
            absorbed = await _absorb_strays(conn, table, name, quarter)
            expected = await tally(conn, name, table)
            await conn.execute(
                text(f"ALTER TABLE {table} ATTACH PARTITION {name} {for_values(quarter)}")
            )
            out[table] = (place or "standalone", before, absorbed, expected)
        return out

    moved = await in_lock_tx(
        move,
        what=f"restore {quarter}",
        lock_timeout_ms=inp.lock_timeout_ms,
        attempts=inp.lock_attempts,
    )
    if not moved:
        return [Action("restore", quarter.label, "all", "hot", 0, "already hot; hold renewed")]
    async with async_engine().connect() as conn:
        after = {t: await tally(conn, t, t, quarter) for t in moved}
    actions = await _record(
        inp.maintenance_run_id,
        "restore",
        quarter,
        {t: (src, t, expected, after[t]) for t, (src, _, _, expected) in moved.items()},
    )
    return [
        Action(
            a.action,
            a.quarter,
            a.table,
            a.target,
            a.rows,
            f"{a.detail}; {moved[a.table][1]} from the archive, {moved[a.table][2]} late row(s) taken in",
        )
        for a in actions
    ]
