"""The sandbox store: API keys, orders, products with variations, and the fault knobs.

Seeded deterministically from a `StoreSpec`, so a test knows exact counts and dates.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

START = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)


def wc_time(moment: datetime) -> str:
    """WooCommerce's timestamps: ISO 8601 without offset (the `_gmt` fields are UTC)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")


@dataclass(frozen=True)
class StoreSpec:
    consumer_key: str = "ck_sandbox"
    consumer_secret: str = "cs_sandbox"
    orders: int = 0
    simple_products: int = 3  # SKU WC-SIMPLE-{n}
    variable_products: int = 1  # each with sizes S, M, L: SKU WC-VAR-{n}-{size}
    stock: int = 10
    start: datetime = START
    step: timedelta = timedelta(minutes=7)


@dataclass
class Fault:
    status: int
    count: int
    retry_after: int | None = None


@dataclass
class StoreState:
    spec: StoreSpec = field(default_factory=StoreSpec)
    orders: dict[int, dict[str, Any]] = field(default_factory=dict[int, dict[str, Any]])
    products: dict[int, dict[str, Any]] = field(default_factory=dict[int, dict[str, Any]])
    variations: dict[int, dict[int, dict[str, Any]]] = field(
        default_factory=dict[int, dict[int, dict[str, Any]]]
    )
    faults: deque[Fault] = field(default_factory=deque[Fault])
    requests: Counter[str] = field(default_factory=Counter[str])  # "GET /orders" -> count
    lock: threading.Lock = field(default_factory=threading.Lock)
    _next_id: int = 1000

    def __post_init__(self) -> None:
        self.seed()

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def seed(self) -> None:
        spec = self.spec
        for n in range(1, spec.simple_products + 1):
            pid = self.new_id()
            self.products[pid] = _product(pid, f"Tričko č. {n}", f"WC-SIMPLE-{n}", "simple", spec.stock)
        for n in range(1, spec.variable_products + 1):
            pid = self.new_id()
            product = _product(pid, f"Mikina č. {n}", f"WC-VAR-{n}", "variable", None)
            self.variations[pid] = {}
            for size in ("S", "M", "L"):
                vid = self.new_id()
                self.variations[pid][vid] = {
                    "id": vid, "sku": f"WC-VAR-{n}-{size}", "price": "890.00",
                    "manage_stock": True, "stock_quantity": spec.stock,
                    "stock_status": "instock" if spec.stock > 0 else "outofstock",
                    "attributes": [{"id": 1, "name": "Velikost", "option": size}],
                }
            product["variations"] = list(self.variations[pid])
            self.products[pid] = product
        for n in range(spec.orders):
            at = spec.start + spec.step * n
            self.add_order(at, sku=f"WC-SIMPLE-{n % max(1, spec.simple_products) + 1}", quantity=1)

    def add_order(
        self, at: datetime, *, sku: str, quantity: int, status: str = "processing"
    ) -> dict[str, Any]:
        oid = self.new_id()
        product_id, variation_id = self.find_sku(sku)
        order = {
            "id": oid, "parent_id": 0, "number": str(oid), "status": status, "currency": "CZK",
            "date_created": wc_time(at), "date_created_gmt": wc_time(at),
            "date_modified": wc_time(at), "date_modified_gmt": wc_time(at),
            "total": f"{390 * quantity}.00", "total_tax": f"{round(390 * quantity * 21 / 121, 2):.2f}",
            "customer_id": 0, "payment_method_title": "Dobírka",
            "billing": {
                "first_name": "Jana", "last_name": "Nováková", "company": "", "city": "Brno",
                "postcode": "602 00", "country": "CZ", "email": f"jana{oid}@example.cz",
                "phone": "+420 777 000 000",
            },
            "shipping_lines": [{"id": 1, "method_title": "Zásilkovna", "total": "79.00"}],
            "line_items": [
                {
                    "id": oid * 10 + 1, "name": "Tričko & mikina – žluťoučká",
                    "product_id": product_id, "variation_id": variation_id,
                    "quantity": quantity, "sku": sku, "price": 390, "subtotal": f"{390 * quantity}.00",
                    "total": f"{390 * quantity}.00", "total_tax": "0.00",
                }
            ],
        }
        self.orders[oid] = order
        return order

    def modify_order(self, oid: int, at: datetime, status: str) -> None:
        order = self.orders[oid]
        order["status"] = status
        order["date_modified"] = order["date_modified_gmt"] = wc_time(at)

    def find_sku(self, sku: str) -> tuple[int, int]:
        for pid, product in self.products.items():
            if product["sku"] == sku:
                return pid, 0
            for vid, variation in self.variations.get(pid, {}).items():
                if variation["sku"] == sku:
                    return pid, vid
        return 0, 0

    def stock_of(self, sku: str) -> int | None:
        pid, vid = self.find_sku(sku)
        item = self.variations[pid][vid] if vid else self.products.get(pid)
        return None if item is None else item["stock_quantity"]

    def take_fault(self) -> Fault | None:
        with self.lock:
            if not self.faults:
                return None
            fault = self.faults[0]
            fault.count -= 1
            if fault.count <= 0:
                self.faults.popleft()
            return fault


def _product(pid: int, name: str, sku: str, kind: str, stock: int | None) -> dict[str, Any]:
    return {
        "id": pid, "name": name, "slug": f"p-{pid}", "type": kind, "status": "publish",
        "sku": sku, "price": "390.00", "regular_price": "390.00",
        "manage_stock": kind == "simple", "stock_quantity": stock,
        "stock_status": "instock", "variations": [],
    }
