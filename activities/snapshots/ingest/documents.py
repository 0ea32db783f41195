"""Shoptet documents (order / customer / product detail, as in snapshot lines) to table rows.

Values stay text in Shoptet's own formats (`"121.00"`, `"2024-05-01T10:00:00+0200"`), checked
here and parsed once by PostgreSQL during COPY.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from activities.snapshots.ingest import fields as f
from activities.snapshots.ingest.fields import BadLine
from activities.snapshots.ingest.tables import (
    CUSTOMERS,
    ORDER_ITEMS,
    ORDERS,
    PRODUCT_TRANSLATIONS,
    PRODUCTS,
    STOCK_LEVELS,
    VARIANTS,
    Table,
)

Row = tuple[str, ...]  # COPY text-format values (see fields.py)
Rows = list[tuple[Table, Row]]
CANCELLED = "-4"  # Shoptet's system status "Stornována"


def order_rows(doc: Any, shop_id: int) -> Rows:
    if not isinstance(doc, dict):
        raise BadLine(f"expected an order object, got {type(doc).__name__}")
    shop = str(shop_id)
    code = f.text(doc, "code", 50, required=True)
    created = f.timestamp(doc, "creationTime", required=True)
    status = f.opt_obj(doc, "status")
    status_id = f.integer(status, "id")
    price = f.obj(doc, "price")
    billing = f.opt_obj(doc, "billingAddress")
    delivery = doc.get("deliveryAddress")
    items = doc.get("items")
    if not isinstance(items, list):
        raise BadLine(f"items: expected a list, got {type(items).__name__}")
    rows: Rows = []
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            raise BadLine(f"items[{position}]: expected an object")
        try:
            rows.append((ORDER_ITEMS, _item_row(item, shop, code, created)))
        except BadLine as exc:
            raise BadLine(f"items[{position}].{exc}") from None
    order = (
        shop,
        code,
        created,
        f.uuid(doc, "guid"),
        f.timestamp(doc, "changeTime"),
        status_id,
        f.text(status, "name", 100),
        "t" if status_id == CANCELLED else "f",
        f.boolean(doc, "paid"),
        f.text(f.opt_obj(doc, "source"), "name", 100),
        f.text(doc, "email", 320),
        f.text(doc, "phone", 50),
        f.uuid(doc, "customerGuid"),
        f.text(billing, "fullName", 200),
        f.text(billing, "company", 200),
        f.text(billing, "city", 100),
        f.text(billing, "zip", 20),
        f.text(billing, "countryCode", 2),
        f.json_text(orjson.dumps(delivery).decode(), "deliveryAddress") if isinstance(delivery, dict) and delivery else f.NULL,
        f.text(f.opt_obj(doc, "shipping"), "name", 200),
        f.text(f.opt_obj(doc, "paymentMethod"), "name", 200),
        f.text(price, "currencyCode", 3, default="CZK"),
        f.decimal(price, "exchangeRate", f.EXCHANGE),
        f.decimal(price, "withVat", required=True),
        f.decimal(price, "withoutVat"),
        f.decimal(price, "vat"),
        f.decimal(price, "toPay"),
        str(len(items)),
    )
    rows.insert(0, (ORDERS, order))
    return rows


def _item_row(item: dict[str, Any], shop: str, code: str, created: str) -> Row:
    item_price = f.obj(item, "itemPrice")
    unit_price = f.opt_obj(item, "unitPrice")
    purchase = f.opt_obj(item, "purchasePrice")
    return (
        shop,
        code,
        f.integer(item, "itemId", f.INT64, required=True),
        created,
        f.text(item, "itemType", 30, required=True),
        f.uuid(item, "productGuid"),
        f.text(item, "code", 100),
        f.text(item, "ean", 20),
        f.text(item, "name", 300, required=True),
        f.text(item, "variantName", 300),
        f.text(item, "brand", 200),
        f.decimal(item, "amount", f.QUANTITY, required=True),
        f.text(item, "amountUnit", 20),
        f.decimal(unit_price, "withVat"),
        f.decimal(item_price, "withVat", required=True),
        f.decimal(item_price, "withoutVat"),
        f.decimal(item_price, "vat"),
        f.decimal(item_price, "vatRate", f.RATE),
        f.decimal(purchase, "withVat"),
        f.text(item, "supplierName", 200),
        f.integer(f.opt_obj(item, "status"), "id"),
    )


def customer_rows(doc: Any, shop_id: int) -> Rows:
    if not isinstance(doc, dict):
        raise BadLine(f"expected a customer object, got {type(doc).__name__}")
    billing = f.opt_obj(doc, "billingAddress")
    accounts = doc.get("accounts") or []
    main = next((a for a in accounts if isinstance(a, dict) and a.get("mainAccount")), None)
    main = main or (accounts[0] if accounts and isinstance(accounts[0], dict) else {})
    return [
        (
            CUSTOMERS,
            (
                str(shop_id),
                f.uuid(doc, "guid", required=True),
                f.text(main, "email", 320),
                f.text(main, "phone", 50),
                f.text(billing, "fullName", 200, default=f.text(main, "fullName", 200)),
                f.text(billing, "company", 200),
                f.text(billing, "city", 100),
                f.text(billing, "zip", 20),
                f.text(billing, "countryCode", 2),
                f.text(f.opt_obj(doc, "customerGroup"), "name", 100),
                f.boolean(doc, "disabledOrders", default="f"),
                f.timestamp(doc, "creationTime"),
                f.timestamp(doc, "changeTime"),
            ),
        )
    ]


def product_rows(doc: Any, shop_id: int, locale: str = "cs") -> Rows:
    if not isinstance(doc, dict):
        raise BadLine(f"expected a product object, got {type(doc).__name__}")
    shop = str(shop_id)
    guid = f.uuid(doc, "guid", required=True)
    name = f.text(doc, "name", 300, required=True)
    rows: Rows = [
        (
            PRODUCTS,
            (
                shop,
                guid,
                name,
                f.text(doc, "type", 30),
                f.text(doc, "visibility", 30),
                f.text(f.opt_obj(doc, "brand"), "name", 200),
                f.text(f.opt_obj(doc, "defaultCategory"), "name", 300),
                f.uuid(f.opt_obj(doc, "supplier"), "guid"),
                f.timestamp(doc, "creationTime"),
                f.timestamp(doc, "changeTime"),
            ),
        ),
        (PRODUCT_TRANSLATIONS, (shop, guid, locale, name, _description(doc))),
    ]
    variants = doc.get("variants") or []
    if not isinstance(variants, list):
        raise BadLine("variants: expected a list")
    for position, variant in enumerate(variants):
        try:
            rows.extend(_variant_rows(variant, shop, guid))
        except BadLine as exc:
            raise BadLine(f"variants[{position}].{exc}") from None
    return rows


def _description(doc: dict[str, Any]) -> str:
    value = doc.get("shortDescription") or doc.get("description")
    return f.escape(value.replace("\x00", "")) if isinstance(value, str) else f.NULL


def _variant_rows(variant: Any, shop: str, product_guid: str) -> Rows:
    if not isinstance(variant, dict):
        raise BadLine("expected an object")
    code = f.text(variant, "code", 100, required=True)
    purchase = f.opt_obj(f.opt_obj(variant, "prices"), "purchasePrice")
    rows: Rows = [
        (
            VARIANTS,
            (
                shop,
                code,
                product_guid,
                f.text(variant, "ean", 20),
                f.text(variant, "name", 300),
                f.decimal(variant, "price"),
                f.decimal(purchase, "price"),
                f.text(variant, "currencyCode", 3, default="CZK"),
                f.decimal(variant, "vatRate", f.RATE),
                f.decimal(variant, "stock", f.QUANTITY),
                f.text(f.opt_obj(variant, "availability"), "name", 100),
            ),
        )
    ]
    for amounts in variant.get("perStockAmounts") or []:
        if not isinstance(amounts, dict):
            raise BadLine("perStockAmounts: expected objects")
        rows.append(
            (
                STOCK_LEVELS,
                (
                    shop,
                    f.integer(amounts, "stockId", required=True),
                    code,
                    f.decimal(amounts, "amount", f.QUANTITY, required=True),
                    f.decimal(amounts, "claim", f.QUANTITY),
                    f.text(amounts, "location", 100),
                    f.timestamp(amounts, "lastAmountUpdate"),
                ),
            )
        )
    return rows


MAPPERS: dict[str, Callable[[Any, int], Rows]] = {
    "orders": order_rows,
    "customers": customer_rows,
    "products": product_rows,
}

TABLES: dict[str, tuple[Table, ...]] = {
    "orders": (ORDERS, ORDER_ITEMS),
    "customers": (CUSTOMERS,),
    "products": (PRODUCTS, PRODUCT_TRANSLATIONS, VARIANTS, STOCK_LEVELS),
}
