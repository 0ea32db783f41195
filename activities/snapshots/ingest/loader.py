"""Load documents into PostgreSQL: COPY into temp staging tables, then one set-based upsert.

A batch is built (parsed, checked, TSV-encoded) off the event loop, so the next batch is
prepared while PostgreSQL executes the current one; both cores stay busy.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any, LiteralString

import orjson
import psycopg

from activities.snapshots.ingest.documents import LINE_MAPPERS, TABLES, Row
from activities.snapshots.ingest.fields import NULL, BadLine
from activities.snapshots.ingest.tables import Table
from db.search import sources as search_sources
from db.tagged_cache import invalidate, shop_tag


def tsv(row: tuple[str, ...]) -> str:
    """One COPY text-format line; the values are already escaped by the field checks."""
    return "\t".join(row) + "\n"


@dataclass
class Reject:
    line_no: int
    raw: str
    reason: str


@dataclass
class Batch:
    """Rows of a run of consecutive lines, rendered for COPY, with the lines it rejected.

    Small and picklable: it is built in a parser process and shipped to the loader.
    `line_nos` names the line of every COPY row, so a batch PostgreSQL refuses can be split
    by line (`subset`) and the refused line found.
    """

    resource: str
    end_line: int  # first line number after this batch
    end_offset: int  # byte offset of that line in the working file
    lines: int = 0
    copy: dict[str, bytes] = field(default_factory=dict)  # COPY input per table
    counts: dict[str, int] = field(default_factory=dict)  # rows per table
    keys: list[tuple[str, ...]] = field(default_factory=list)  # keys of the main table
    rejects: list[Reject] = field(default_factory=list)
    line_nos: dict[str, array[int]] = field(default_factory=dict)  # per table, per COPY row

    def copy_data(self, table: Table) -> bytes:
        return self.copy.get(table.name, b"")

    def loaded_lines(self) -> list[int]:
        """Line numbers with rows in this batch, in file order."""
        return sorted({n for nos in self.line_nos.values() for n in nos})

    def subset(self, wanted: set[int]) -> Batch:
        """The same batch restricted to the rows of the lines in `wanted`."""
        part = Batch(self.resource, self.end_line, self.end_offset)
        for name, data in self.copy.items():
            nos = self.line_nos[name]
            rows = [row for row, n in zip(data.split(b"\n")[:-1], nos, strict=True) if n in wanted]
            if rows:
                part.copy[name] = b"\n".join(rows) + b"\n"
                part.counts[name] = len(rows)
                part.line_nos[name] = array("q", (n for n in nos if n in wanted))
        main = TABLES[self.resource][0].name
        if main in part.copy:
            part.keys = [
                tuple(cols[i] for i in KEY_POSITIONS[main])
                for cols in (row.decode().split("\t") for row in part.copy[main].split(b"\n")[:-1])
            ]
        return part


KEY_POSITIONS = {t.name: tuple(t.columns.index(k) for k in t.key) for ts in TABLES.values() for t in ts}
# a row's key as a tuple (every key has two columns or more, so itemgetter gives a tuple)
KEY_OF: dict[str, Callable[[Row], tuple[str, ...]]] = {name: itemgetter(*at) for name, at in KEY_POSITIONS.items()}
assert all(len(at) > 1 for at in KEY_POSITIONS.values())


def build_batch(
    resource: str, shop_id: int, lines: Iterable[tuple[int, bytes]], end_line: int, end_offset: int
) -> Batch:
    """Parse and check lines; bad ones become rejects, never stopping the good ones.

    A document that appears twice (a later state in the same batch) counts whole: the newest
    by its change time, or the later line when the times tie, brings all its rows and the
    other's rows are dropped, so an order never keeps items of an older version.
    """
    mapper = LINE_MAPPERS[resource]
    tables = TABLES[resource]
    main = tables[0]
    key_of = KEY_OF
    main_key = key_of[main.name]
    changed_at = main.columns.index("changed_at") if "changed_at" in main.columns else None
    documents: dict[tuple[str, ...], tuple[int, list[tuple[Table, Row]]]] = {}
    batch = Batch(resource, end_line, end_offset)
    for line_no, raw in lines:
        batch.lines += 1
        if not raw or raw.isspace():
            continue
        try:
            rows = mapper(raw, shop_id)
        except orjson.JSONDecodeError as exc:
            batch.rejects.append(Reject(line_no, line_text(raw), f"not valid JSON: {exc}"))
            continue
        except BadLine as exc:
            batch.rejects.append(Reject(line_no, line_text(raw), str(exc)))
            continue
        head = rows[0][1]
        key = main_key(head)
        earlier = documents.get(key)
        if earlier is not None:
            if changed_at is not None and _older(head[changed_at], earlier[1][0][1][changed_at]):
                continue
            del documents[key]  # re-inserted: the winner keeps its own position in line order
        documents[key] = (line_no, rows)
    payload: dict[str, dict[tuple[str, ...], tuple[int, Row]]] = {t.name: {} for t in tables}
    for line_no, rows in documents.values():
        for table, row in rows:
            # children shared by documents (a variant code under two products): the later wins
            name = table.name
            payload[name][key_of[name](row)] = (line_no, row)
    for name, keyed in payload.items():
        if keyed:
            batch.copy[name] = ("\n".join(["\t".join(row) for _, row in keyed.values()]) + "\n").encode()
            batch.counts[name] = len(keyed)
            batch.line_nos[name] = array("q", [n for n, _ in keyed.values()])
    batch.keys = list(payload[main.name])
    return batch


def _older(candidate: str, stored: str) -> bool:
    """True when `candidate` (a change time, or NULL) is strictly older than `stored`."""
    if candidate in (stored, NULL) or stored == NULL:
        return False
    return datetime.fromisoformat(candidate) < datetime.fromisoformat(stored)


def build_batch_from_file(
    resource: str, shop_id: int, path: str, start_line: int, start_offset: int, end_line: int, max_lines: int
) -> Batch | None:
    """Read up to `max_lines` lines from the working file and build their batch (None at the end).

    Runs in the parser process, so parsing never competes with the loader for the GIL.
    """
    from itertools import islice
    from pathlib import Path

    from activities.snapshots.files import read_lines

    taken = list(islice(read_lines(Path(path), start_line, start_offset, end_line), max_lines))
    if not taken:
        return None
    last_line, after, _ = taken[-1]
    return build_batch(resource, shop_id, ((n, raw) for n, _, raw in taken), last_line + 1, after)


def line_text(raw: bytes) -> str:
    """A line as kept in quarantine: decoded leniently, NUL shown as `\\0` (text refuses it)."""
    return raw.decode("utf-8", errors="replace").rstrip("\r\n").replace("\x00", "\\0")


class _Existing(Exception):
    """The batch has rows that exist already: take the upsert path."""


@dataclass
class LoadResult:
    upserted: int = 0  # rows inserted or changed; unchanged rows are not written
    rejected: int = 0
    refused: list[Reject] = field(default_factory=list)  # lines PostgreSQL itself refused

    def add(self, other: LoadResult) -> None:
        self.upserted += other.upserted
        self.rejected += other.rejected
        self.refused += other.refused


# What one line's values can make PostgreSQL refuse (SQLSTATE class 22, and 23 but for the
# unique violation, which the upsert path answers): the batch is split, not failed.
DATA_ERRORS: tuple[type[Exception], ...] = (
    psycopg.errors.DataError,
    psycopg.errors.NotNullViolation,
    psycopg.errors.CheckViolation,
    psycopg.errors.ForeignKeyViolation,
)

RawLines = Callable[[list[int]], dict[int, str]]  # line numbers -> their raw text


def refusal(exc: Exception) -> str:
    """PostgreSQL's own words for a refused line: the message and where it was (COPY context)."""
    diag = getattr(exc, "diag", None)
    primary = (diag.message_primary if diag else None) or str(exc).splitlines()[0]
    context = (diag.context if diag else None) or ""
    where = context.strip().splitlines()[0] if context.strip() else ""
    return f"refused by PostgreSQL: {primary}" + (f" ({where})" if where else "")


def stale_children_delete(
    table: Table, shop_id: int, parents: list[tuple[Any, ...]]
) -> tuple[LiteralString, dict[str, Any]]:
    """The DELETE of the children of `parents` (rows `(shop_id, code, created_at)` of orders
    just written) that the staged batch no longer has.

    The parents' items are found through the primary key (`shop_id, order_code, …` with
    `order_code = ANY(codes)`) in only the partitions of the parents' time span (its bounds
    are known when the statement is planned), and the items to keep are one hashed set of the
    staged keys: milliseconds per batch however many items the shop has. (A join to the
    parents with NOT EXISTS against the staging table, which has no statistics, was planned
    as a scan of the staging table per item, or a merge join over all of the shop's items:
    seconds to a minute per batch at 8 M items, past the heartbeat timeout.)
    """
    created = [p[2] for p in parents]
    kept = ", ".join(f"s.{k}" for k in table.key)
    mine = ", ".join(f"c.{k}" for k in table.key)
    code = table.parent[1]
    return (
        f"DELETE FROM {table.name} c USING unnest(%(codes)s::text[], %(created)s::timestamptz[]) "
        f"AS p(code, created_at) WHERE c.shop_id = %(shop)s AND c.{code} = ANY(%(codes)s::text[]) "
        "AND c.created_at BETWEEN %(first)s AND %(last)s "
        f"AND c.{code} = p.code AND c.created_at = p.created_at "
        f"AND ({mine}) NOT IN (SELECT {kept} FROM {table.stage} s)",
        {"codes": [p[1] for p in parents], "created": created, "shop": shop_id,
         "first": min(created), "last": max(created)},
    )


class Loader:
    """Loads batches of one resource through one connection (staging tables live per session)."""

    def __init__(self, conn: psycopg.AsyncConnection[Any], resource: str, shop_id: int) -> None:
        self.conn, self.resource, self.shop_id = conn, resource, shop_id
        self.tables = TABLES[resource]
        self._staged = False

    async def _stage(self) -> None:
        if not self._staged:
            async with self.conn.transaction():
                for table in self.tables:
                    await self.conn.execute(table.create_stage_sql())
            self._staged = True

    async def load(
        self,
        batch: Batch,
        *,
        run_id: int | None = None,
        progress: tuple[LiteralString, dict[str, Any]] | None = None,
        raw_lines: RawLines | None = None,
    ) -> LoadResult:
        """Apply one batch in one transaction; `progress` is an UPDATE run in the same one,
        so the committed offset and the committed rows can never disagree.

        Should PostgreSQL refuse the batch for a value (a case the field checks missed), the
        batch is bisected by line: the refused lines are quarantined with PostgreSQL's message
        (`raw_lines` supplies their text) and every other line is loaded.
        """
        await self._stage()
        result = LoadResult()
        async with self.conn.transaction(), self.conn.cursor() as cur:
            try:
                async with self.conn.transaction():  # savepoint: a refused batch is split
                    result.upserted = await self._write(cur, batch)
            except DATA_ERRORS as exc:
                result.upserted, result.refused = await self._isolate(cur, batch, exc)
                if result.refused and raw_lines is not None:
                    texts = raw_lines([r.line_no for r in result.refused])
                    for reject in result.refused:
                        reject.raw = texts.get(reject.line_no, "")
            if result.upserted:  # search documents commit with the rows they describe
                await search_sources.refresh(cur, self.shop_id, self.resource, [k[1] for k in batch.keys])
            rejects = batch.rejects + result.refused
            if rejects and run_id is not None:
                result.rejected = await self._quarantine(cur, run_id, rejects)
            elif rejects:
                result.rejected = len(rejects)
            if progress is not None:
                sql, params = progress
                await cur.execute(
                    sql,
                    {**params, "upserted": result.upserted, "rejected": result.rejected},
                )
        if result.upserted:  # after commit: cached answers about this shop's data are stale now
            await invalidate(shop_tag(self.shop_id, self.resource))
        return result

    async def _write(self, cur: psycopg.AsyncCursor[Any], batch: Batch) -> int:
        try:
            async with self.conn.transaction():  # savepoint: the fast path may be refused
                if not await self._all_new(cur, batch):
                    raise _Existing
                return await self._copy_direct(cur, batch)
        except (_Existing, psycopg.errors.UniqueViolation):
            return await self._upsert(cur, batch)

    async def _isolate(
        self, cur: psycopg.AsyncCursor[Any], batch: Batch, first: Exception
    ) -> tuple[int, list[Reject]]:
        """Bisect a refused batch by line: halves that load are kept, a single line that is
        refused is a reject with PostgreSQL's reason. A few bad lines cost O(bad * log n) tries."""
        upserted, refused = 0, []
        pending: list[tuple[list[int], Exception | None]] = [(batch.loaded_lines(), first)]
        while pending:
            lines, known = pending.pop()
            if known is None:
                try:
                    async with self.conn.transaction():
                        await self._clear_stage(cur)
                        upserted += await self._write(cur, batch.subset(set(lines)))
                    continue
                except DATA_ERRORS as exc:
                    known = exc
            if len(lines) == 1:
                refused.append(Reject(lines[0], "", refusal(known)))
                continue
            middle = len(lines) // 2
            pending += [(lines[middle:], None), (lines[:middle], None)]
        await self._clear_stage(cur)
        refused.sort(key=lambda r: r.line_no)
        return upserted, refused

    async def _clear_stage(self, cur: psycopg.AsyncCursor[Any]) -> None:
        for table in self.tables:
            await cur.execute(f"DELETE FROM {table.stage}")  # type: ignore[arg-type]

    async def _all_new(self, cur: psycopg.AsyncCursor[Any], batch: Batch) -> bool:
        """True when no key of the batch's main table exists yet (a first load).

        Orders arrive in time order, so one probe of the shop's time index usually settles it
        (nothing stored in the batch's time window); only when the window holds rows are the
        keys looked up one by one.
        """
        main = self.tables[0]
        keys = batch.keys
        if not keys:
            return True
        columns: list[LiteralString] = [c for c in main.key if c != "shop_id"]
        arrays = [[k[main.key.index(c)] for k in keys] for c in columns]
        unnest = ", ".join(f"%s::{main.key_types[c]}[]" for c in columns)
        if "created_at" in columns:
            times = arrays[columns.index("created_at")]
            await cur.execute(
                f"SELECT EXISTS (SELECT 1 FROM {main.name} WHERE shop_id = %s "
                "AND created_at BETWEEN (SELECT min(t) FROM unnest(%s::timestamptz[]) t) "
                "AND (SELECT max(t) FROM unnest(%s::timestamptz[]) t))",
                (self.shop_id, times, times),
            )
            stored = await cur.fetchone()
            assert stored is not None  # EXISTS answers one row
            if not stored[0]:
                return True
        join = " AND ".join(f"x.{c} = k.{c}" for c in columns)
        await cur.execute(
            f"SELECT EXISTS (SELECT 1 FROM unnest({unnest}) AS k({', '.join(columns)}) "
            f"JOIN {main.name} x ON x.shop_id = %s AND {join})",
            (*arrays, self.shop_id),
        )
        row = await cur.fetchone()
        assert row is not None  # EXISTS answers one row
        return not row[0]

    async def _copy_direct(self, cur: psycopg.AsyncCursor[Any], batch: Batch) -> int:
        """New rows go straight into their tables with COPY, as fast as a bulk load can be."""
        rows = 0
        for table in self.tables:
            data = batch.copy_data(table)
            if data:
                async with cur.copy(table.copy_target_sql()) as copy:
                    await copy.write(data)
                rows += batch.counts[table.name]
        return rows

    async def _upsert(self, cur: psycopg.AsyncCursor[Any], batch: Batch) -> int:
        """Rows that may exist: COPY to staging, then write only what changed."""
        for table in self.tables:
            data = batch.copy_data(table)
            if data:
                async with cur.copy(table.copy_sql()) as copy:
                    await copy.write(data)
        upserted = 0
        parent = self.tables[0]
        changed_parents: list[tuple[Any, ...]] = []
        for position, table in enumerate(self.tables):
            if not batch.counts.get(table.name):
                continue
            if table.parent:
                if not changed_parents:
                    continue  # no order was written: its items stay as they are
                await self._delete_stale_children(cur, table, changed_parents)
                keys = [i for i, k in enumerate(parent.key) if k != "shop_id"]
                await cur.execute(
                    table.upsert_sql(parent),
                    [[row[i] for row in changed_parents] for i in keys],
                )
            else:
                await cur.execute(table.upsert_sql())
            changed = await cur.fetchall()
            upserted += len(changed)
            if position == 0:
                changed_parents = changed
        return upserted

    async def _delete_stale_children(
        self, cur: psycopg.AsyncCursor[Any], table: Table, parents: list[tuple[Any, ...]]
    ) -> None:
        """Items a re-loaded order no longer has (an edited order can lose lines)."""
        await cur.execute(*stale_children_delete(table, self.shop_id, parents))

    async def _quarantine(
        self, cur: psycopg.AsyncCursor[Any], run_id: int, rejects: list[Reject]
    ) -> int:
        await cur.execute(
            "INSERT INTO snapshot_rejects (run_id, line_no, shop_id, raw, reason) "
            "SELECT %s, line_no, %s, raw, reason FROM unnest(%s::bigint[], %s::text[], %s::text[]) "
            "AS r(line_no, raw, reason) ON CONFLICT DO NOTHING",
            (
                run_id,
                self.shop_id,
                [r.line_no for r in rejects],
                [r.raw for r in rejects],
                [r.reason for r in rejects],
            ),
        )
        return cur.rowcount
