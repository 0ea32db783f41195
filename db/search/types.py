"""The values a search backend takes and returns, the same for every backend."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, Protocol

from pydantic import BaseModel, Field

Kind = Literal["product", "order", "customer"]
KINDS: tuple[Kind, ...] = ("product", "order", "customer")
# price facet buckets (CZK-ish): the upper bound of each, the last one open
PRICE_BUCKETS: tuple[int, ...] = (100, 500, 1000, 5000)


class SearchDocument(BaseModel):
    """One searchable record: `title` ranks highest, `keys` are the short fields (codes, EANs,
    e-mails, phones, names) typos are forgiven in, `body` is long text matched by words only."""

    shop_id: int
    kind: Kind
    ref: str
    title: str
    code: str | None = None  # what the record's page is opened by: a variant or order code
    subtitle: str | None = None
    body: str | None = None
    status: str | None = None
    category: str | None = None
    brand: str | None = None
    price: Decimal | None = None
    keys: str = ""


class SearchQuery(BaseModel):
    text: str
    shop_ids: list[int] | None  # None: every shop (an admin)
    kinds: list[Kind] = Field(default_factory=lambda: list(KINDS))
    status: str | None = None
    category: str | None = None
    brand: str | None = None
    limit: int = 20


class SearchHit(BaseModel):
    shop_id: int
    kind: Kind
    ref: str
    title: str
    code: str | None
    subtitle: str | None
    status: str | None
    price: Decimal | None
    score: float
    highlight: str  # title (and subtitle) with matched words in <mark>…</mark>


class FacetCount(BaseModel):
    value: str
    count: int


class Facets(BaseModel):
    """Counts over the hit set (capped at the backend's candidate limit)."""

    kind: list[FacetCount] = Field(default_factory=list[FacetCount])
    status: list[FacetCount] = Field(default_factory=list[FacetCount])
    category: list[FacetCount] = Field(default_factory=list[FacetCount])
    brand: list[FacetCount] = Field(default_factory=list[FacetCount])
    price: list[FacetCount] = Field(default_factory=list[FacetCount])


def price_bucket(price: Decimal | None) -> str | None:
    """The facet label of a price: "0-100", …, "5000+"."""
    if price is None:
        return None
    low = 0
    for high in PRICE_BUCKETS:
        if price < high:
            return f"{low}-{high}"
        low = high
    return f"{low}+"


class SearchBackend(Protocol):
    async def index(self, documents: list[SearchDocument]) -> None:
        """Add or replace documents (by shop, kind and ref)."""
        ...

    async def delete(self, shop_id: int, kind: Kind, refs: list[str]) -> None: ...

    async def search(self, query: SearchQuery) -> list[SearchHit]:
        """Best matches first."""
        ...

    async def facets(self, query: SearchQuery) -> Facets: ...
