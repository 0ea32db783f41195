"""Keyset pagination: opaque cursors over a unique, indexed ordering; never OFFSET."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from api.common.params import BIGINT_MAX, BigIntId, ShortText
from api.problems import Problem

T = TypeVar("T")
R = TypeVar("R")
C = TypeVar("C", bound="Cursor")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(values: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values, default=str)).decode().rstrip("=")


class Cursor(BaseModel):
    """A decoded cursor: each list names its model, so a forged or stale cursor (a missing
    key, a wrong type, an id beyond bigint) is a 400 problem, never a database error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class IdCursor(Cursor):
    id: BigIntId


class LineCursor(Cursor):
    line: Annotated[int, Field(ge=0, le=BIGINT_MAX)]


class CodeCursor(Cursor):
    code: ShortText


def decode_cursor(cursor: str | None, model: type[C]) -> C | None:
    """The cursor as `model`, or None for the first page; 400 for anything we did not issue."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return model.model_validate(orjson.loads(base64.urlsafe_b64decode(padded)))
    except (ValueError, ValidationError) as exc:  # bad base64, bad JSON, wrong shape
        raise Problem(400, "Invalid cursor", "The cursor is not one this API issued.") from exc


def cursor_id(cursor: str | None) -> int | None:
    """The id an id cursor (`{"id": n}`) points after; None for the first page."""
    after = decode_cursor(cursor, IdCursor)
    return None if after is None else after.id


def next_id_cursor(rows: Sequence[Any], limit: int) -> str | None:
    """The cursor after the page's last row when a row beyond it was fetched (`limit + 1`
    asked); rows are ORM objects or mappings with an `id`."""
    if len(rows) <= limit:
        return None
    last = rows[limit - 1]
    return encode_cursor({"id": last["id"] if isinstance(last, Mapping) else last.id})


@dataclass(frozen=True)
class IdKeyset:
    """One newest-first page by id of a text query: `where` (its `AND …` conditions, after
    the shop's) and `params` (`:after`, one per filter, `:limit` = limit + 1, the row that tells
    whether another page follows), then `split` the rows into the page and the next cursor."""

    where: str
    params: dict[str, object]
    limit: int

    def split(self, rows: Sequence[R]) -> tuple[Sequence[R], str | None]:
        return rows[: self.limit], next_id_cursor(rows, self.limit)


def id_keyset(
    id_column: str, cursor: str | None, limit: int, filters: Mapping[str, object | None]
) -> IdKeyset:
    """The conditions of a page ordered by `id_column` descending: rows before the cursor's
    id, and `column = value` for each filter given (None: not filtered). Columns are ours,
    never the caller's; each value is bound as a parameter named after its column."""
    where = ""
    params: dict[str, object] = {"limit": limit + 1}
    after = cursor_id(cursor)
    if after is not None:
        where += f"AND {id_column} < :after "
        params["after"] = after
    for column, value in filters.items():
        if value is not None:
            name = column.rsplit(".", 1)[-1]
            where += f"AND {column} = :{name} "
            params[name] = value
    return IdKeyset(where, params, limit)


async def page_by_id(
    session: AsyncSession,
    query: Select[Any],
    id_column: InstrumentedAttribute[int],
    cursor: str | None,
    limit: int,
    to_item: Callable[[Any], T],
) -> Page[T]:
    """One page of `query` (selecting one ORM entity), newest first by descending id."""
    after = cursor_id(cursor)
    if after is not None:
        query = query.where(id_column < after)
    rows = (
        (await session.execute(query.order_by(id_column.desc()).limit(limit + 1))).scalars().all()
    )
    return Page(items=[to_item(r) for r in rows[:limit]], next_cursor=next_id_cursor(rows, limit))
