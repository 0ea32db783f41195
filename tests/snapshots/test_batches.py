"""Batch boundaries found ahead of parsing agree with the batches the parser builds one by one."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from activities.ingest.batches import batch_starts, build_batch_from_file
from infra.sandbox.generator import ShopSpec, iter_records


@pytest.mark.parametrize(("start_line", "end_line"), [(1, 58), (7, 58), (1, 41), (40, 41), (58, 58)])
def test_batch_starts_match_sequential_parsing(tmp_path: Path, start_line: int, end_line: int) -> None:
    work = tmp_path / "run.jsonl"
    lines = [orjson.dumps(doc) + b"\n" for doc in iter_records(ShopSpec(eshop_id=5, orders=57), "orders")]
    lines[12] = b"{not json\n"  # a reject does not move a boundary
    work.write_bytes(b"".join(lines))
    offset = sum(len(line) for line in lines[: start_line - 1])
    sequential = []
    line, at = start_line, offset
    while (batch := build_batch_from_file("orders", 1, str(work), line, at, end_line, 10)) is not None:
        sequential.append((line, at))
        line, at = batch.end_line, batch.end_offset
    assert line == max(start_line, min(end_line, 58))
    found = batch_starts(str(work), start_line, offset, end_line, 10)
    # past the last line there is one start left, whose batch is empty (the parser says None)
    assert found == (sequential or [(start_line, offset)])
