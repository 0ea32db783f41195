"""Load documents into PostgreSQL: COPY into temp staging tables, then one set-based upsert.

A batch is built (parsed, checked, TSV-encoded) off the event loop, so the next batch is
prepared while PostgreSQL executes the current one; both cores stay busy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, LiteralString

import psycopg

from activities.snapshots.ingest.documents import TABLES
from activities.snapshots.ingest.parsing import (
    KEY_OF,
    KEY_POSITIONS,
    Batch,
    Reject,
    build_batch,
    build_batch_from_file,
    line_text,
    tsv,
)
from activities.snapshots.ingest.tables import Table
from db.search import sources as search_sources
from db.tagged_cache import invalidate, shop_tag

__all__ = [
    "KEY_OF", "KEY_POSITIONS", "Batch", "LoadResult", "Loader", "RawLines", "Reject", "build_batch",
    "build_batch_from_file", "line_text", "tsv",
]


class _Existing(Exception):
    """The batch has rows that exist already: take the upsert path."""


@dataclass
class LoadResult:
    upserted: int = 0  # rows inserted or changed; unchanged rows are not written
    rejected: int = 0
    refused: list[Reject] = field(default_factory=list[Reject])  # lines PostgreSQL itself refused

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

    def __init__(
        self, conn: psycopg.AsyncConnection[Any], resource: str, shop_id: int, *, index_search: bool = True
    ) -> None:
        """`index_search=False`: a bulk snapshot leaves the search documents to one set-based
        pass after the run (`db.search.sources.index_all`) instead of refreshing them per batch."""
        self.conn, self.resource, self.shop_id = conn, resource, shop_id
        self.index_search = index_search
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
            if result.upserted and self.index_search:  # documents commit with the rows they describe
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
        upserted = 0
        refused: list[Reject] = []
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
            await cur.execute(f"DELETE FROM {table.stage}")

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
