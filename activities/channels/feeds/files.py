"""Writing a shop's feeds: one pass over the catalog into every format's gzip file, each
written beside its final name and renamed over it when complete, so a reader (the feed URL)
sees the previous feed or the new one, never half of one."""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TextIO

from activities.channels.feeds.formats import FORMATS, FeedFormat
from activities.channels.feeds.items import FETCH_ROWS, FeedItem, FeedShop


@dataclass(frozen=True)
class Written:
    format: str
    items: int
    skipped: int
    bytes: int  # compressed size on disk


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
            outs: list[TextIO] = [
                stack.enter_context(
                    gzip.open(tmp, "wt", compresslevel=gzip_level, encoding="utf-8", newline="")
                )
                for tmp in temps
            ]
            for fmt, out in zip(chosen, outs, strict=True):
                out.write(fmt.header(shop))
            seen = 0
            skipped = [0] * len(chosen)
            for batch in batches(items):
                for i, fmt in enumerate(chosen):
                    skipped[i] += fmt.write_batch(outs[i], batch, shop)
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
