"""Stream one query to a CSV or XLSX file in bounded memory.

CSV is PostgreSQL's own `COPY (query) TO STDOUT (FORMAT csv)`, written on as it arrives: the
server formats every value, and the process holds one chunk at a time. XLSX reads a server-side
cursor in batches and writes with XlsxWriter's `constant_memory` mode (one row in memory, the
sheet flushed to a temp file as it goes); past Excel's 1 048 576 rows a sheet, it starts another.
No I/O framework here beyond psycopg, so the bench can run it in a process of its own.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

BATCH = 5000
FLUSH_BYTES = 1 << 20
XLSX_MAX_ROWS = 1_048_576  # per sheet, header included
BOM = "\ufeff".encode()  # Excel reads a CSV as UTF-8 only with it

Progress = Callable[[int], None]


def write_csv(conn: psycopg.Connection[Any], query: sql.Composed, path: Path, progress: Progress) -> int:
    """Rows written (the header not counted), exact: COPY's own count."""
    copy_sql = sql.SQL("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER true)").format(query)
    lines = 0
    with path.open("wb") as out, conn.cursor() as cur:
        out.write(BOM)
        with cur.copy(copy_sql) as copy:
            # COPY hands over about a row per chunk: gather a megabyte before touching the file
            pending: list[Any] = []
            size = 0
            for chunk in copy:
                pending.append(chunk)
                size += len(chunk)
                if size >= FLUSH_BYTES:
                    lines += _flush(out, pending)
                    progress(max(0, lines - 1))  # a guess while going: a field may hold a newline
                    pending, size = [], 0
            lines += _flush(out, pending)
        rows = cur.rowcount
    progress(rows)
    return rows


def _flush(out: Any, chunks: list[Any]) -> int:
    """Write the chunks; the newlines they held."""
    data = b"".join(chunks)
    out.write(data)
    return data.count(b"\n")


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool | Decimal | date):
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.replace(tzinfo=None)  # Excel has no time zones: the UTC wall time
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def write_xlsx(conn: psycopg.Connection[Any], query: sql.Composed, path: Path, progress: Progress) -> int:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "default_date_format": "yyyy-mm-dd hh:mm:ss",
            "strings_to_numbers": False,
            "strings_to_formulas": False,  # a customer's name starting with '=' stays text
            "strings_to_urls": False,
        },
    )
    rows = 0
    try:
        with conn.transaction(), conn.cursor(name=f"export_{uuid.uuid4().hex[:8]}") as cur:
            cur.itersize = BATCH
            cur.execute(query)
            header = [d.name for d in cur.description or []]
            sheet, sheet_no, line = None, 0, XLSX_MAX_ROWS
            while batch := cur.fetchmany(BATCH):
                for record in batch:
                    if line >= XLSX_MAX_ROWS:
                        sheet_no += 1
                        sheet = workbook.add_worksheet(f"Data{'' if sheet_no == 1 else sheet_no}")
                        sheet.write_row(0, 0, header)
                        line = 1
                    assert sheet is not None
                    for col, value in enumerate(record):
                        cell = _cell(value)
                        if cell is not None:
                            sheet.write(line, col, cell)
                    line += 1
                rows += len(batch)
                progress(rows)
            if sheet is None:  # no rows: still a sheet with the header
                workbook.add_worksheet("Data").write_row(0, 0, header)
    finally:
        workbook.close()
    return rows


def write_export(
    conn: psycopg.Connection[Any], query: sql.Composed, fmt: str, path: Path, progress: Progress
) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        return write_csv(conn, query, path, progress)
    if fmt == "xlsx":
        return write_xlsx(conn, query, path, progress)
    raise ValueError(f"unknown export format {fmt!r}")


def estimate_rows(conn: psycopg.Connection[Any], query: sql.Composed) -> int:
    """The planner's row estimate: instant on any size (a count would read the table twice)."""
    with conn.cursor() as cur:
        cur.execute(sql.SQL("EXPLAIN (FORMAT JSON) {}").format(query))
        row = cur.fetchone()
    plan = row[0] if row else None
    if isinstance(plan, str):
        plan = json.loads(plan)
    try:
        return int(plan[0]["Plan"]["Plan Rows"])  # type: ignore[index]
    except (TypeError, KeyError, IndexError, ValueError):
        return 0
