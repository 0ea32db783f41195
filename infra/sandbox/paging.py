"""Shoptet-style pagination over lazily generated entities.

A `Selection` is the ordered list of entity indices a list endpoint returns, described
without materialising it: explicit `head` indices, then the range [lo, hi) minus a few
`holes`, then explicit `tail` indices. Generated data lives in the range; the few edited
or created entities of the overlay go to holes, head and tail.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from infra.sandbox.envelope import ApiError

# (default, max) itemsPerPage per list endpoint, from the official OpenAPI file.
PAGE_LIMITS: dict[str, tuple[int, int]] = {
    "orders": (50, 50),
    "orders/changes": (20, 1000),
    "products": (20, 1000),
    "products/changes": (1000, 1000),
    "customers": (20, 1000),
    "customers/changes": (20, 20),
    "supplies": (1000, 1000),
    "webhooks": (20, 500),
    "jobs": (100, 500),
}


@dataclass
class Selection:
    lo: int = 0
    hi: int = 0
    holes: list[int] = field(default_factory=list)  # sorted, each within [lo, hi)
    head: Sequence[int] = ()
    tail: Sequence[int] = ()

    @classmethod
    def of(cls, indices: Sequence[int]) -> Selection:
        return cls(head=indices)

    def _range_len(self) -> int:
        return max(0, self.hi - self.lo) - len(self.holes)

    def __len__(self) -> int:
        return len(self.head) + self._range_len() + len(self.tail)

    def _range_at(self, pos: int) -> int:
        """The pos-th index of [lo, hi) that is not a hole."""
        x = self.lo + pos
        while True:
            nxt = self.lo + pos + bisect.bisect_right(self.holes, x)
            if nxt == x:
                return x
            x = nxt

    def window(self, offset: int, count: int) -> list[int]:
        out: list[int] = []
        end = min(len(self), offset + count)
        pos = offset
        head_len, range_len = len(self.head), self._range_len()
        while pos < end and pos < head_len:
            out.append(self.head[pos])
            pos += 1
        if pos < end and pos < head_len + range_len:
            x = self._range_at(pos - head_len)
            holes = set(self.holes)
            while pos < end and pos < head_len + range_len:
                while x in holes:
                    x += 1
                out.append(x)
                x += 1
                pos += 1
        while pos < end:
            out.append(self.tail[pos - head_len - range_len])
            pos += 1
        return out


@dataclass(frozen=True)
class Page:
    page: int
    per_page: int
    total: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def page_count(self) -> int:
        return -(-self.total // self.per_page)

    def paginator(self, items_on_page: int) -> dict[str, int]:
        return {
            "totalCount": self.total,
            "page": self.page,
            "pageCount": self.page_count,
            "itemsOnPage": items_on_page,
            "itemsPerPage": self.per_page,
        }


def _positive_int(params: Any, name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(
            400, "invalid-parameter", f"Parameter '{name}' must be an integer, got '{raw}'.", name
        ) from None
    if value < 1:
        raise ApiError(
            400, "invalid-parameter", f"Parameter '{name}' must be at least 1, got {value}.", name
        )
    return value


def page_of(params: Any, endpoint: str, total: int) -> Page:
    """Read `page`/`itemsPerPage`, clamping silently to the endpoint's maximum like Shoptet.

    A page past the last one answers 404 `page-not-found`; an empty list still has page 1.
    """
    default, maximum = PAGE_LIMITS[endpoint]
    per_page = min(_positive_int(params, "itemsPerPage") or default, maximum)
    page = _positive_int(params, "page") or 1
    result = Page(page=page, per_page=per_page, total=total)
    last = max(1, result.page_count)
    if page > last:
        raise ApiError(404, "page-not-found", f"Page {page} not found, max page is {last}.", "page")
    return result


def paginate(params: Any, endpoint: str, selection: Selection) -> tuple[list[int], Page]:
    page = page_of(params, endpoint, len(selection))
    return selection.window(page.offset, page.per_page), page
