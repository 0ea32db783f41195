"""Snapshot result files on local storage: sniff gzip, unpack to a working file, index chunks.

The downloaded bytes are kept as received (their SHA-256 is the run's checksum); the working
file is plain JSON lines with the byte offset of every chunk's first line, so a chunk (or a
retried chunk) seeks straight to its lines instead of decompressing from the start.
"""

from __future__ import annotations

import gzip
import hashlib
import secrets
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from isal import isal_zlib  # ISA-L inflate: the same format, 2-3x faster than zlib

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


def _blocks(raw: Path, packed: bool) -> Iterator[bytes]:
    """The file's bytes in large blocks, decompressed when it is gzip."""
    with raw.open("rb") as src:
        inflate = isal_zlib.decompressobj(wbits=31) if packed else None  # 31: gzip header and trailer
        while block := src.read(READ_SIZE):
            if inflate is None:
                yield block
                continue
            yield inflate.decompress(block)
            while inflate.eof and inflate.unused_data:  # concatenated gzip members
                rest = inflate.unused_data
                inflate = isal_zlib.decompressobj(wbits=31)
                yield inflate.decompress(rest)
        if inflate is not None:
            yield inflate.flush()
            if not inflate.eof:
                raise EOFError("compressed stream ended before its end marker")


def unpack(
    raw: Path, work: Path, chunk_lines: int, on_progress: Callable[[int], None] | None = None
) -> Unpacked:
    """Write the plain JSON-lines working file and the chunk index; memory stays flat.

    Works on large blocks (newlines counted with `bytes.count`, boundaries found only where a
    chunk starts), so unpacking costs little more than the decompression itself.
    """
    if chunk_lines < 1:
        raise ValueError("chunk_lines must be at least 1")
    packed = is_gzip(raw)
    offsets: list[int] = []
    lines = 0  # complete lines written so far
    position = 0  # bytes written so far
    pending = False  # the last block ended inside a line
    next_report = 50_000
    tmp = work.with_name(f"{work.name}.{secrets.token_hex(4)}.part")  # a late attempt writes its own
    try:
        with tmp.open("wb") as out:
            for block in _blocks(raw, packed):
                if not block:
                    continue
                start = 0
                while True:
                    if not pending and lines % chunk_lines == 0:
                        offsets.append(position + start)
                    pending = True
                    # lines left until the next chunk starts, and where they end in this block
                    wanted = chunk_lines - lines % chunk_lines
                    end = start
                    for _ in range(wanted):
                        end = block.find(b"\n", end) + 1
                        if end == 0:
                            break
                    if end == 0:  # the block ends before the next chunk boundary
                        lines += block.count(b"\n", start)
                        pending = not block.endswith(b"\n")
                        break
                    lines += wanted
                    pending = False
                    start = end
                    if start == len(block):
                        break
                out.write(block)
                position += len(block)
                if on_progress and lines >= next_report:
                    on_progress(lines)
                    next_report = lines + 50_000
            if pending:  # a last line without its newline
                out.write(b"\n")
                position += 1
                lines += 1
    # isal's stub declares `error` as an instance; at run time it is the exception class.
    except (EOFError, zlib.error, isal_zlib.error, gzip.BadGzipFile) as exc:  # pyright: ignore[reportGeneralTypeIssues]
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
