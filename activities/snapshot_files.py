"""Snapshot result files on local storage: sniff gzip, unpack to a working file, index chunks.

The downloaded bytes are kept as received (their SHA-256 is the run's checksum); the working
file is plain JSON lines with the byte offset of every chunk's first line, so a chunk (or a
retried chunk) seeks straight to its lines instead of decompressing from the start.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

GZIP_MAGIC = b"\x1f\x8b"
READ_SIZE = 1 << 20


class SnapshotFileError(RuntimeError):
    """The result file is unusable (truncated gzip, missing on disk)."""


@dataclass(frozen=True)
class Unpacked:
    lines: int
    offsets: list[int]  # byte offset of line 1, 1 + chunk_lines, … in the working file
    gzip: bool
    work_bytes: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(READ_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def unpack(
    raw: Path, work: Path, chunk_lines: int, on_progress: Callable[[int], None] | None = None
) -> Unpacked:
    """Write the plain JSON-lines working file and the chunk index; memory stays flat."""
    if chunk_lines < 1:
        raise ValueError("chunk_lines must be at least 1")
    packed = is_gzip(raw)
    offsets: list[int] = []
    lines = 0
    position = 0
    tmp = work.with_suffix(work.suffix + ".part")
    try:
        with (gzip.open(raw, "rb") if packed else raw.open("rb")) as src, tmp.open("wb") as out:
            for line in src:
                if lines % chunk_lines == 0:
                    offsets.append(position)
                lines += 1
                if not line.endswith(b"\n"):
                    line += b"\n"
                out.write(line)
                position += len(line)
                if on_progress and lines % 50_000 == 0:
                    on_progress(lines)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        tmp.unlink(missing_ok=True)
        raise SnapshotFileError(f"result file {raw.name} is not a complete gzip stream: {exc}") from exc
    tmp.replace(work)
    return Unpacked(lines=lines, offsets=offsets, gzip=packed, work_bytes=position)


def read_lines(work: Path, start_line: int, start_offset: int, end_line: int) -> Iterator[tuple[int, int, bytes]]:
    """Yield (line number, offset after the line, raw line) for lines [start_line, end_line)."""
    if not work.exists():
        raise SnapshotFileError(f"working file {work} is missing")
    with work.open("rb") as fh:
        fh.seek(start_offset)
        line_no = start_line
        position = start_offset
        while line_no < end_line:
            line = fh.readline()
            if not line:
                return
            position += len(line)
            yield line_no, position, line
            line_no += 1
