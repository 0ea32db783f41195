"""A keyset-paged list as a streamed CSV download: one page in memory at a time."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from api.pagination import Page
from db.engine import replica_session

CSV_PAGE = 2000

# (session, cursor, limit) -> the list's JSON page
PageReader = Callable[[AsyncSession, str | None, int], Awaitable[Page[Any]]]


async def keyset_csv(columns: Sequence[str], read_page: PageReader) -> AsyncIterator[str]:
    """The header, then every page's rows (None as an empty field). The pages are read with
    the stream's own session: the request's session is gone once streaming starts."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    yield _drain(buffer)
    cursor: str | None = None
    async with replica_session() as session:  # an export is a heavy read: the replica's
        while True:
            page = await read_page(session, cursor, CSV_PAGE)
            items: list[dict[str, Any]] = [i.model_dump() for i in page.items]
            cursor = page.next_cursor
            for item in items:
                writer.writerow(["" if item[c] is None else item[c] for c in columns])
            yield _drain(buffer)
            if cursor is None:
                return


def csv_response(rows: AsyncIterator[str], filename: str) -> StreamingResponse:
    return StreamingResponse(
        rows,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _drain(buffer: io.StringIO) -> str:
    data = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return data
