"""Shoptet as a channel: the first adapter, wrapping the existing Shoptet client.

Shoptet is the merchant's home store and the stock master: its orders are imported in full by
the existing SyncWorkflow (change feed + order detail), its stock is the on-hand figure every
channel's reservations are subtracted from, and its catalog is what other channels sell. So this
adapter reads (order headers, per-variant stock) and refuses writes with `Unsupported`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from activities.channels.base import (
    CatalogItem,
    ChannelAuthError,
    ChannelError,
    ChannelOrder,
    ChannelRequestError,
    OrdersPage,
    StockItem,
    StockPage,
    Unsupported,
)
from activities.shoptet.client import ShoptetClient
from activities.shoptet.errors import ShoptetError, Unauthorized
from db.models.channels import SHOPTET

ORDERS_PER_PAGE = 50  # Shoptet's order list maximum
SUPPLIES_PER_PAGE = 1000
CANCELLED_STATUS = -1  # Shoptet's fixed id of the "Stornována" status


def _error(exc: ShoptetError) -> ChannelError:
    if isinstance(exc, Unauthorized) and not exc.retryable:
        return ChannelAuthError(str(exc))
    return ChannelError(str(exc)) if exc.retryable else ChannelRequestError(str(exc))


def _order(doc: dict[str, Any]) -> ChannelOrder:
    created = datetime.fromisoformat(doc["creationTime"]).astimezone(UTC)
    changed = doc.get("changeTime")
    price: dict[str, Any] = doc.get("price") or {}
    status: dict[str, Any] = doc.get("status") or {}
    return ChannelOrder(
        external_id=str(doc["code"]),
        number=str(doc["code"]),
        status=str(status.get("name") or ""),
        cancelled=status.get("id") == CANCELLED_STATUS,
        completed=False,
        created_at=created,
        modified_at=datetime.fromisoformat(changed).astimezone(UTC) if changed else created,
        currency=str(price.get("currencyCode") or "CZK"),
        total=Decimal(str(price.get("withVat") or 0)),
        total_tax=None,
        email=doc.get("email"),
        phone=doc.get("phone"),
        billing_name=doc.get("fullName"),
        billing_company=doc.get("company"),
        billing_city=None,
        billing_zip=None,
        billing_country=None,
        shipping_name=None,
        payment_name=None,
    )


class ShoptetAdapter:
    channel = SHOPTET

    def __init__(self, client: ShoptetClient, stock_id: int = 1) -> None:
        self.client = client
        self.stock_id = stock_id  # the stock whose amounts are on hand (Shoptet's default: 1)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def pull_orders(self, modified_after: datetime | None, page: int) -> OrdersPage:
        params: dict[str, Any] = {"page": page, "itemsPerPage": ORDERS_PER_PAGE}
        if modified_after is not None:
            params["changeTimeFrom"] = modified_after.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")
        try:
            data = await self.client.get("/api/orders", params)
        except ShoptetError as exc:
            raise _error(exc) from exc
        paginator = data.get("paginator") or {}
        return OrdersPage(
            [_order(doc) for doc in data.get("orders") or []],
            page,
            int(paginator.get("totalCount") or 0),
            int(paginator.get("pageCount") or 0),
        )

    async def pull_stock(self, page: int, parent: str | None = None) -> StockPage:
        try:
            data = await self.client.get(
                f"/api/stocks/{self.stock_id}/supplies",
                {"page": page, "itemsPerPage": SUPPLIES_PER_PAGE},
            )
        except ShoptetError as exc:
            raise _error(exc) from exc
        items = [
            StockItem(
                str(row["code"]), str(row["code"]),
                None if row.get("amount") is None else int(Decimal(str(row["amount"]))),
            )
            for row in data.get("supplies") or []
        ]
        return StockPage(items, page, int((data.get("paginator") or {}).get("pageCount") or 0))

    async def push_stock(self, item: StockItem) -> None:
        raise Unsupported("Shoptet is the stock master: its stock is read, never pushed")

    async def push_catalog(self, items: Sequence[CatalogItem]) -> None:
        raise Unsupported("Shoptet is the catalog source: its catalog is read, never pushed")
