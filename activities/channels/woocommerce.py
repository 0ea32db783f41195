"""WooCommerce adapter: the REST API v3 (`/wp-json/wc/v3`) of a merchant's WordPress store.

Auth is the store's consumer key and secret by HTTP Basic (WooCommerce accepts it over HTTPS;
the API refuses plain-http store URLs except on loopback, where our sandbox runs). Lists are
read one page at a time (`page`, `per_page` ≤ 100; totals from `X-WP-Total` and
`X-WP-TotalPages`). 429, 5xx and network errors are retried here a few times, honouring
`Retry-After`, then surface as a retryable `ChannelError` for the activity's retry policy; 401
and 403 are `ChannelAuthError`, which nothing retries.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from activities.channels.base import (
    CatalogItem,
    ChannelAuthError,
    ChannelError,
    ChannelOrder,
    ChannelRequestError,
    OrderLine,
    OrdersPage,
    StockItem,
    StockPage,
    Unsupported,
)
from db.models.channels import WOOCOMMERCE

log = logging.getLogger(__name__)

API = "/wp-json/wc/v3"
PER_PAGE = 100  # WooCommerce's maximum
CANCELLED = frozenset({"cancelled", "refunded", "failed", "trash"})
COMPLETED = frozenset({"completed"})
TIMEOUT = httpx.Timeout(30.0, connect=10.0)
MAX_RETRY_AFTER = 30.0  # a longer wait is the activity retry policy's job, not a sleeping call


@dataclass(frozen=True)
class RetryPlan:
    attempts: int = 4  # tries of one call before the activity's retry policy takes over
    base_delay: float = 0.5  # doubled per retry

    def delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after is not None:
            try:
                return min(MAX_RETRY_AFTER, max(0.0, float(retry_after)))
            except ValueError:
                pass
        return self.base_delay * 2**attempt


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def _time(value: Any) -> datetime:
    """`…_gmt` fields are UTC without an offset."""
    moment = datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _text(value: Any, limit: int) -> str | None:
    return str(value)[:limit] if value not in (None, "") else None


def order_from(doc: dict[str, Any]) -> ChannelOrder:
    billing: dict[str, Any] = doc.get("billing") or {}
    name = " ".join(p for p in (billing.get("first_name"), billing.get("last_name")) if p)
    shipping = doc.get("shipping_lines") or []
    status = str(doc.get("status") or "")
    lines = tuple(
        OrderLine(
            item_id=int(item["id"]),
            sku=str(item.get("sku") or ""),
            name=str(item.get("name") or "")[:300],
            quantity=_money(item.get("quantity")),
            unit_price=_money(item.get("price")),
            total=_money(item.get("total")) + _money(item.get("total_tax")),
        )
        for item in doc.get("line_items") or []
    )
    return ChannelOrder(
        external_id=str(doc["id"]),
        number=str(doc.get("number") or doc["id"]),
        status=status,
        cancelled=status in CANCELLED,
        completed=status in COMPLETED,
        created_at=_time(doc["date_created_gmt"]),
        modified_at=_time(doc.get("date_modified_gmt") or doc["date_created_gmt"]),
        currency=str(doc.get("currency") or "CZK")[:3],
        total=_money(doc.get("total")),
        total_tax=_money(doc.get("total_tax")),
        email=_text(billing.get("email"), 320),
        phone=_text(billing.get("phone"), 50),
        billing_name=_text(name, 200),
        billing_company=_text(billing.get("company"), 200),
        billing_city=_text(billing.get("city"), 100),
        billing_zip=_text(billing.get("postcode"), 20),
        billing_country=_text(billing.get("country"), 2),
        shipping_name=_text(shipping[0].get("method_title") if shipping else None, 200),
        payment_name=_text(doc.get("payment_method_title"), 200),
        lines=lines,
    )


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
        return f"{body.get('code')}: {body.get('message')}"
    except ValueError:
        return response.text[:200]


class WooCommerceAdapter:
    channel = WOOCOMMERCE

    def __init__(
        self,
        base_url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        retry: RetryPlan | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPlan()
        self._http = http or httpx.AsyncClient(
            timeout=TIMEOUT, auth=httpx.BasicAuth(consumer_key, consumer_secret)
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(
        self, method: str, path: str, params: dict[str, Any] | None = None, json: Any = None
    ) -> httpx.Response:
        url = f"{self.base_url}{API}{path}"
        for attempt in range(self.retry.attempts):
            last = attempt == self.retry.attempts - 1
            try:
                response = await self._http.request(method, url, params=params, json=json)
            except httpx.TransportError as exc:
                if last:
                    raise ChannelError(f"{method} {path}: {self.base_url} unreachable: {exc}") from exc
                await asyncio.sleep(self.retry.delay(attempt, None))
                continue
            status = response.status_code
            if status < 400:
                return response
            if status in (401, 403):
                raise ChannelAuthError(
                    f"{self.base_url} refused the consumer key and secret ({status} "
                    f"{_error_text(response)}): check the keys and their read/write permission"
                )
            if status == 429 or status >= 500:
                if last:
                    raise ChannelError(
                        f"{method} {path} answered {status} {self.retry.attempts} times "
                        f"({_error_text(response)})"
                    )
                wait = self.retry.delay(attempt, response.headers.get("retry-after"))
                log.info("woocommerce %s %s answered %s; retrying in %.1f s", method, path, status, wait)
                await asyncio.sleep(wait)
                continue
            raise ChannelRequestError(f"{method} {path} answered {status}: {_error_text(response)}")
        raise AssertionError("unreachable")

    @staticmethod
    def _pages(response: httpx.Response) -> tuple[int, int]:
        return int(response.headers.get("x-wp-total", "0")), int(
            response.headers.get("x-wp-totalpages", "0")
        )

    async def pull_orders(self, modified_after: datetime | None, page: int) -> OrdersPage:
        params: dict[str, Any] = {
            "page": page, "per_page": PER_PAGE, "orderby": "modified", "order": "asc",
            "dates_are_gmt": "true",
        }
        if modified_after is not None:
            params["modified_after"] = modified_after.astimezone(UTC).replace(tzinfo=None).isoformat(
                timespec="seconds"
            )
        response = await self._call("GET", "/orders", params)
        total, pages = self._pages(response)
        return OrdersPage([order_from(doc) for doc in response.json()], page, total, pages)

    async def pull_stock(self, page: int, parent: str | None = None) -> StockPage:
        path = f"/products/{parent}/variations" if parent else "/products"
        response = await self._call("GET", path, {"page": page, "per_page": PER_PAGE})
        _, pages = self._pages(response)
        items: list[StockItem] = []
        parents: list[str] = []
        for doc in response.json():
            remote = f"{parent}/{doc['id']}" if parent else str(doc["id"])
            if not parent and doc.get("type") == "variable":
                parents.append(remote)
                continue
            quantity = doc.get("stock_quantity") if doc.get("manage_stock") else None
            if doc.get("sku"):
                items.append(StockItem(remote, str(doc["sku"]), quantity))
        return StockPage(items, page, pages, parents)

    async def push_stock(self, item: StockItem) -> None:
        product, _, variation = item.remote_id.partition("/")
        path = f"/products/{product}/variations/{variation}" if variation else f"/products/{product}"
        await self._call("PUT", path, json={"manage_stock": True, "stock_quantity": item.quantity})

    async def push_catalog(self, items: Sequence[CatalogItem]) -> None:
        raise Unsupported(
            "pushing the catalog to WooCommerce is not built yet: products are created in the "
            "store, shopops matches them by SKU and keeps their stock"
        )
