"""Writing a shop's feeds: one pass over the catalog into every format's gzip file, each
written beside its final name and renamed over it when complete, so a reader (the feed URL)
sees the previous feed or the new one, never half of one."""

from __future__ import annotations

import gzip
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from types import TracebackType

from activities.channels.feeds.formats import FORMATS, FeedFormat
from activities.channels.feeds.items import FETCH_ROWS, FeedItem, FeedShop


@dataclass(frozen=True)
class Written:
    format: str
    items: int
    skipped: int
    bytes: int  # compressed size on disk


class GzipSink:
    """A text sink whose batches are encoded here and compressed by a thread: zlib releases the
    GIL while it compresses, so one batch is compressed while the next is formatted. `write`
    only collects text; `end_batch` hands the batch over (at most `PENDING` wait), so memory
    stays a few batches of text."""

    PENDING = 2

    def __init__(self, path: Path, level: int) -> None:
        self._file = gzip.GzipFile(path, "wb", compresslevel=level)
        self._parts: list[str] = []
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=self.PENDING)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._compress, name="feed-gzip", daemon=True)
        self._thread.start()

    def _compress(self) -> None:
        while (data := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._file.write(data)
                except BaseException as exc:  # raised in the writer's thread at the next batch
                    self._error = exc

    def write(self, text: str) -> int:
        self._parts.append(text)
        return len(text)

    def end_batch(self) -> None:
        if self._error is not None:
            raise self._error
        if self._parts:
            data = "".join(self._parts).encode()
            self._parts.clear()
            self._queue.put(data)

    def close(self) -> None:
        if self._thread.is_alive():
            self.end_batch()
            self._queue.put(None)
            self._thread.join()
        self._file.close()
        if self._error is not None:
            raise self._error

    def __enter__(self) -> GzipSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.close()
            return
        self._parts.clear()
        self._queue.put(None)
        self._thread.join()
        self._file.close()


def feed_path(directory: Path, fmt: FeedFormat) -> Path:
    return directory / f"{fmt.file_name}.gz"


def batches(items: Iterable[FeedItem], size: int = FETCH_ROWS) -> Iterator[list[FeedItem]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def write_feeds(
    items: Iterable[FeedItem],
    shop: FeedShop,
    directory: Path,
    formats: Sequence[str],
    *,
    gzip_level: int = 6,
    on_batch: Callable[[int], None] | None = None,
) -> list[Written]:
    """Write `items` once into every format of `formats`; `on_batch(items so far)` after each
    batch (the activity heartbeats there). Memory: one batch of rows and its text."""
    directory.mkdir(parents=True, exist_ok=True)
    chosen = [FORMATS[name] for name in formats]
    temps = [feed_path(directory, fmt).with_suffix(".gz.tmp") for fmt in chosen]
    try:
        with ExitStack() as stack:
            outs = [stack.enter_context(GzipSink(tmp, gzip_level)) for tmp in temps]
            for fmt, out in zip(chosen, outs, strict=True):
                out.write(fmt.header(shop))
            seen = 0
            skipped = [0] * len(chosen)
            for batch in batches(items):
                for i, fmt in enumerate(chosen):
                    skipped[i] += fmt.write_batch(outs[i], batch, shop)
                    outs[i].end_batch()
                seen += len(batch)
                if on_batch:
                    on_batch(seen)
            for fmt, out in zip(chosen, outs, strict=True):
                out.write(fmt.footer())
        written: list[Written] = []
        for i, (fmt, tmp) in enumerate(zip(chosen, temps, strict=True)):
            _fsync(tmp)
            final = feed_path(directory, fmt)
            os.replace(tmp, final)
            written.append(Written(fmt.name, seen - skipped[i], skipped[i], final.stat().st_size))
        _fsync(directory)
        return written
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
