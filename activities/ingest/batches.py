"""Batches: snapshot or sync lines parsed, checked and rendered as COPY text, with their rejects.

Runs in the snapshot parser processes, so it imports only what parsing needs (no database
driver, no ORM, no Temporal): a parser process stays small.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import orjson

from activities.ingest.documents import MAPPERS, TABLES
from activities.ingest.fields import BadLine
from activities.ingest.tables import Table


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


def batch_starts(
    path: str, start_line: int, start_offset: int, end_line: int, batch_lines: int
) -> list[tuple[int, int]]:
    """(line, byte offset) where each batch of lines [start_line, end_line) begins, so several
    parser processes can build a chunk's batches at once."""
    from pathlib import Path

    from activities.snapshot_files import read_lines

    starts = [(start_line, start_offset)]
    for line_no, after, _ in read_lines(Path(path), start_line, start_offset, end_line):
        if (line_no + 1 - start_line) % batch_lines == 0 and line_no + 1 < end_line:
            starts.append((line_no + 1, after))
    return starts
