"""The snapshot parser process carries only what parsing needs.

`spawn` re-runs the parent's main script in a child, and the parser used to import the loader
(SQLAlchemy, psycopg, Redis): under `shopops worker` that made it ~130 MB of modules it never
used. Now it imports `activities.snapshots.ingest.parsing` alone; its memory map shows no
database, web or settings library (their compiled extensions would be mapped)."""

from __future__ import annotations

import os
from pathlib import Path

import orjson

from activities.snapshots import pipeline
from activities.snapshots.ingest.parsing import Batch, build_batch_from_file

HEAVY = ("sqlalchemy", "psycopg", "pydantic_core", "temporalio", "fastapi", "redis")


def test_the_parser_process_maps_no_database_or_web_library(tmp_path: Path) -> None:
    pipeline._reset_parser_pool()
    try:
        pool = pipeline.parser_pool()
        pid = pool.submit(os.getpid).result(timeout=120)
        assert pid != os.getpid()
        maps = Path(f"/proc/{pid}/maps").read_text()
        assert [lib for lib in HEAVY if lib in maps] == []

        # and it parses: one order line, through the task the loader submits
        path = tmp_path / "orders.jsonl"
        order = {"code": "2026000001", "creationTime": "2026-11-02T10:00:00+0100", "items": []}
        path.write_bytes(orjson.dumps(order) + b"\n")
        batch = pool.submit(build_batch_from_file, "orders", 1, str(path), 1, 0, 2, 10).result(timeout=60)
        assert isinstance(batch, Batch) and batch.lines == 1
    finally:
        pipeline._reset_parser_pool()
