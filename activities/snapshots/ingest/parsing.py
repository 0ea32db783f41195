"""Parse the lines of a snapshot into batches: the parser process's whole world.

Kept free of database, cache and web imports: the snapshot parser process imports only this
module (and the documents, fields and tables it needs), so it stays a few tens of MB instead of
carrying SQLAlchemy, psycopg and Redis it never uses. The loader (`loader.py`) re-exports the
names the rest of the code uses.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter

import orjson

from activities.snapshots.ingest.documents import LINE_MAPPERS, TABLES, Row
from activities.snapshots.ingest.fields import NULL, BadLine
from activities.snapshots.ingest.tables import Table


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
    copy: dict[str, bytes] = field(default_factory=dict[str, bytes])  # COPY input per table
    counts: dict[str, int] = field(default_factory=dict[str, int])  # rows per table
    keys: list[tuple[str, ...]] = field(default_factory=list[tuple[str, ...]])  # keys of the main table
    rejects: list[Reject] = field(default_factory=list[Reject])
    line_nos: dict[str, array[int]] = field(default_factory=dict[str, "array[int]"])  # per table, per COPY row

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


def start_parser(parent: int) -> None:
    """The parser process's initializer: dies with its worker; its garbage collector is tuned
    for batches.

    A batch keeps ~10 000 row tuples alive until it is shipped, so with the default
    thresholds the collector ran every 700 allocations over ever more survivors (~20 % of
    the parse). The imported modules are frozen out of its scans and it runs 70x less often;
    the batches themselves hold no reference cycles, so nothing waits longer to be freed.
    """
    import gc

    from activities.child_guard import die_with_parent

    die_with_parent(parent)  # no parser outlives a killed or stopped worker
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
