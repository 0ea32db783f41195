"""Frames into PostgreSQL with COPY, and Python values into jsonb and run rows, for the
analytics activities.

Plain psycopg (sync): the analytics activities that write results run in threads or in a
child process, and COPY is psycopg's.
"""

from __future__ import annotations

import io
import math
from typing import Any, cast

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from db.engine import libpq_url

COPY_ROWS = 50_000


def connect() -> psycopg.Connection:
    return psycopg.connect(libpq_url())


def copy_frame(conn: psycopg.Connection, table: str, frame: pd.DataFrame) -> None:
    """COPY a frame in CSV slices (empty field = NULL), columns by name."""
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in frame.columns)
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        sql.Identifier(table), columns
    )
    with conn.cursor() as cur, cur.copy(statement) as copy:
        for lo in range(0, len(frame), COPY_ROWS):
            buffer = io.StringIO()
            frame.iloc[lo : lo + COPY_ROWS].to_csv(buffer, header=False, index=False)
            copy.write(buffer.getvalue())


def update_by_id(conn: psycopg.Connection, table: str, row_id: int, values: dict[str, Any]) -> None:
    """Set `values` (column -> value, dicts and lists as jsonb) on the row `id = row_id`."""
    if not values:
        return
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(k), sql.Placeholder(k)) for k in values
    )
    conn.execute(
        sql.SQL("UPDATE {} SET {} WHERE id = {}").format(
            sql.Identifier(table), assignments, sql.Placeholder("_row_id")
        ),
        {**{k: jsonable(v) for k, v in values.items()}, "_row_id": row_id},
    )


def jsonable(value: Any) -> Any:
    """NaN and infinities become None (PostgreSQL's jsonb refuses them); dicts and lists as jsonb."""

    def clean(v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {str(k): clean(x) for k, x in cast("dict[object, object]", v).items()}
        if isinstance(v, list | tuple):
            return [clean(x) for x in cast("list[object] | tuple[object, ...]", v)]
        if isinstance(v, np.generic):
            return clean(v.item())
        return v

    value = clean(value)
    return Jsonb(value) if isinstance(value, dict | list) else value
