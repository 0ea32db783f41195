"""Load documents into PostgreSQL: COPY into temp staging tables, then one set-based upsert.

A batch is built (parsed, checked, TSV-encoded) off the event loop, so the next batch is
prepared while PostgreSQL executes the current one; both cores stay busy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
import psycopg

from activities.ingest.documents import MAPPERS, TABLES
from activities.ingest.fields import BadLine
from activities.ingest.tables import Table
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
    """

    resource: str
    end_line: int  # first line number after this batch
    end_offset: int  # byte offset of that line in the working file
    lines: int = 0
    copy: dict[str, bytes] = field(default_factory=dict)  # COPY input per table
    counts: dict[str, int] = field(default_factory=dict)  # rows per table
    keys: list[tuple[str, ...]] = field(default_factory=list)  # keys of the main table
    rejects: list[Reject] = field(default_factory=list)

    def copy_data(self, table: Table) -> bytes:
        return self.copy.get(table.name, b"")


def build_batch(
    resource: str, shop_id: int, lines: Iterable[tuple[int, bytes]], end_line: int, end_offset: int
) -> Batch:
    """Parse and check lines; bad ones become rejects, never stopping the good ones."""
    mapper = MAPPERS[resource]
    tables = TABLES[resource]
    keys = {t.name: tuple(t.columns.index(k) for k in t.key) for t in tables}
    payload: dict[str, dict[tuple[str, ...], str]] = {t.name: {} for t in tables}
    batch = Batch(resource, end_line, end_offset)
    for line_no, raw in lines:
        batch.lines += 1
        if not raw.strip():
            continue
        try:
            rows = mapper(orjson.loads(raw), shop_id)
        except orjson.JSONDecodeError as exc:
            batch.rejects.append(Reject(line_no, _text(raw), f"not valid JSON: {exc}"))
            continue
        except BadLine as exc:
            batch.rejects.append(Reject(line_no, _text(raw), str(exc)))
            continue
        for table, row in rows:
            # the last document for a key wins, as a later line is a later state
            payload[table.name][tuple(row[i] for i in keys[table.name])] = tsv(row)
    for name, rows in payload.items():
        if rows:
            batch.copy[name] = "".join(rows.values()).encode()
            batch.counts[name] = len(rows)
    batch.keys = list(payload[tables[0].name])
    return batch


def build_batch_from_file(
    resource: str, shop_id: int, path: str, start_line: int, start_offset: int, end_line: int, max_lines: int
) -> Batch | None:
    """Read up to `max_lines` lines from the working file and build their batch (None at the end).

    Runs in the parser process, so parsing never competes with the loader for the GIL.
    """
    from itertools import islice
    from pathlib import Path

    from activities.snapshot_files import read_lines

    taken = list(islice(read_lines(Path(path), start_line, start_offset, end_line), max_lines))
    if not taken:
        return None
    last_line, after, _ = taken[-1]
    return build_batch(resource, shop_id, ((n, raw) for n, _, raw in taken), last_line + 1, after)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace").rstrip("\r\n").replace("\x00", "\\0")


class _Existing(Exception):
    """The batch has rows that exist already: take the upsert path."""


@dataclass
class LoadResult:
    upserted: int = 0  # rows inserted or changed; unchanged rows are not written
    rejected: int = 0

    def add(self, other: LoadResult) -> None:
        self.upserted += other.upserted
        self.rejected += other.rejected


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
                    await self.conn.execute(table.create_stage_sql())  # type: ignore[arg-type]
            self._staged = True

    async def load(
        self,
        batch: Batch,
        *,
        run_id: int | None = None,
        progress: tuple[str, dict[str, Any]] | None = None,
    ) -> LoadResult:
        """Apply one batch in one transaction; `progress` is an UPDATE run in the same one,
        so the committed offset and the committed rows can never disagree."""
        await self._stage()
        result = LoadResult()
        async with self.conn.transaction(), self.conn.cursor() as cur:
            try:
                async with self.conn.transaction():  # savepoint: the fast path may be refused
                    if not await self._all_new(cur, batch):
                        raise _Existing
                    result.upserted = await self._copy_direct(cur, batch)
            except (_Existing, psycopg.errors.UniqueViolation):
                result.upserted = await self._upsert(cur, batch)
            if batch.rejects and run_id is not None:
                result.rejected = await self._quarantine(cur, run_id, batch.rejects)
            elif batch.rejects:
                result.rejected = len(batch.rejects)
            if progress is not None:
                sql, params = progress
                await cur.execute(
                    sql,  # type: ignore[arg-type]
                    {**params, "upserted": result.upserted, "rejected": result.rejected},
                )
        if result.upserted:  # after commit: cached answers about this shop's data are stale now
            await invalidate(shop_tag(self.shop_id, self.resource))
        return result

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
        columns = [c for c in main.key if c != "shop_id"]
        arrays = [[k[main.key.index(c)] for k in keys] for c in columns]
        unnest = ", ".join(f"%s::{main.key_types[c]}[]" for c in columns)
        if "created_at" in columns:
            times = arrays[columns.index("created_at")]
            await cur.execute(
                f"SELECT EXISTS (SELECT 1 FROM {main.name} WHERE shop_id = %s "  # type: ignore[arg-type]
                "AND created_at BETWEEN (SELECT min(t) FROM unnest(%s::timestamptz[]) t) "
                "AND (SELECT max(t) FROM unnest(%s::timestamptz[]) t))",
                (self.shop_id, times, times),
            )
            if not (await cur.fetchone())[0]:
                return True
        join = " AND ".join(f"x.{c} = k.{c}" for c in columns)
        await cur.execute(
            f"SELECT EXISTS (SELECT 1 FROM unnest({unnest}) AS k({', '.join(columns)}) "  # type: ignore[arg-type]
            f"JOIN {main.name} x ON x.shop_id = %s AND {join})",
            (*arrays, self.shop_id),
        )
        row = await cur.fetchone()
        return not row[0]

    async def _copy_direct(self, cur: psycopg.AsyncCursor[Any], batch: Batch) -> int:
        """New rows go straight into their tables with COPY, as fast as a bulk load can be."""
        rows = 0
        for table in self.tables:
            data = batch.copy_data(table)
            if data:
                async with cur.copy(table.copy_target_sql()) as copy:  # type: ignore[arg-type]
                    await copy.write(data)
                rows += batch.counts[table.name]
        return rows

    async def _upsert(self, cur: psycopg.AsyncCursor[Any], batch: Batch) -> int:
        """Rows that may exist: COPY to staging, then write only what changed."""
        for table in self.tables:
            data = batch.copy_data(table)
            if data:
                async with cur.copy(table.copy_sql()) as copy:  # type: ignore[arg-type]
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
                    table.upsert_sql(parent),  # type: ignore[arg-type]
                    [[row[i] for row in changed_parents] for i in keys],
                )
            else:
                await cur.execute(table.upsert_sql())  # type: ignore[arg-type]
            changed = await cur.fetchall()
            upserted += len(changed)
            if position == 0:
                changed_parents = changed
        return upserted

    async def _delete_stale_children(
        self, cur: psycopg.AsyncCursor[Any], table: Table, parents: list[tuple[Any, ...]]
    ) -> None:
        """Items a re-loaded order no longer has (an edited order can lose lines); for a
        new order the probe finds nothing, with run-time partition pruning per order."""
        codes = [p[1] for p in parents]
        created = [p[2] for p in parents]
        same = " AND ".join(f"s.{k} = c.{k}" for k in table.key)
        await cur.execute(
            f"DELETE FROM {table.name} c USING unnest(%(codes)s::text[], %(created)s::timestamptz[]) "  # type: ignore[arg-type]
            f"AS p(code, created_at) WHERE c.shop_id = %(shop)s AND c.{table.parent[1]} = p.code "
            f"AND c.created_at = p.created_at AND NOT EXISTS (SELECT 1 FROM {table.stage} s WHERE {same})",
            {"codes": codes, "created": created, "shop": self.shop_id},
        )

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
