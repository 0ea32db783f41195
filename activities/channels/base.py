"""The adapter every sales channel implements: pull orders, pull and push stock, push catalog.

Adapters speak the channel's API and hand back channel-neutral records; the channel activities
(activities/channels/sync.py) turn them into rows. Lists come one page at a time (a page is
what one activity handles), so no sync holds a whole store in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol


class ChannelError(Exception):
    """A channel call failed; `retryable` says whether trying later can succeed."""

    retryable = True


class ChannelAuthError(ChannelError):
    """The channel refused our credentials: retrying cannot help until the keys change."""

    retryable = False


class ChannelRequestError(ChannelError):
    """The channel refused the request itself (400/404): retrying the same call cannot help."""

    retryable = False


class Unsupported(ChannelError):
    """This channel does not take this operation (e.g. Shoptet is the stock master)."""

    retryable = False


@dataclass(frozen=True)
class OrderLine:
    item_id: int
    sku: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    total: Decimal
    variant_name: str | None = None


@dataclass(frozen=True)
class ChannelOrder:
    external_id: str
    number: str
    status: str
    cancelled: bool  # cancelled, refunded or failed: its units go back to stock
    completed: bool  # shipped: the stock master has counted it
    created_at: datetime
    modified_at: datetime
    currency: str
    total: Decimal
    total_tax: Decimal | None
    email: str | None
    phone: str | None
    billing_name: str | None
    billing_company: str | None
    billing_city: str | None
    billing_zip: str | None
    billing_country: str | None
    shipping_name: str | None
    payment_name: str | None
    lines: tuple[OrderLine, ...] = field(default_factory=tuple[OrderLine, ...])


@dataclass(frozen=True)
class OrdersPage:
    orders: list[ChannelOrder]
    page: int
    total: int  # orders matching, all pages (X-WP-Total)
    total_pages: int


@dataclass(frozen=True)
class StockItem:
    remote_id: str  # the channel's id of the product (or "product/variation")
    sku: str
    quantity: int | None  # None: the channel does not track this item's stock


@dataclass(frozen=True)
class StockPage:
    items: list[StockItem]
    page: int
    total_pages: int
    # remote ids of products whose variations are listed separately (WooCommerce variable products)
    parents: list[str] = field(default_factory=list[str])


@dataclass(frozen=True)
class CatalogItem:
    sku: str
    name: str
    price: Decimal
    # the store's listing of this SKU ("product" or "product/variation", as StockItem), when known
    remote_id: str | None = None
    stock: int | None = None  # available to sell, when the push carries stock too


class ChannelAdapter(Protocol):
    channel: str

    async def pull_orders(self, modified_after: datetime | None, page: int) -> OrdersPage:
        """One page of orders modified after the cursor, oldest change first."""
        ...

    async def pull_stock(self, page: int, parent: str | None = None) -> StockPage:
        """One page of the channel's stock items (or of one parent's variations)."""
        ...

    async def push_stock(self, item: StockItem) -> None:
        """Set the channel's quantity of one item."""
        ...

    async def push_catalog(self, items: Sequence[CatalogItem]) -> None:
        """Create or update products on the channel."""
        ...

    async def aclose(self) -> None: ...
