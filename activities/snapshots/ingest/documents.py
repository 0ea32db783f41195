"""Shoptet documents (order / customer / product detail, as in snapshot lines) to table rows.

Values stay text in Shoptet's own formats (`"121.00"`, `"2024-05-01T10:00:00+0200"`), checked
here and parsed once by PostgreSQL during COPY.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Annotated, Any

import msgspec
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
        _delivery(delivery),
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


def _delivery(value: Any) -> str:
    """The delivery address as jsonb text (NULL when absent or empty)."""
    if not isinstance(value, dict) or not value:
        return f.NULL
    try:
        dumped = orjson.dumps(value).decode()
    except orjson.JSONEncodeError as exc:  # nested deeper than orjson writes
        raise BadLine(f"deliveryAddress: cannot be stored as JSON: {exc}") from None
    return f.json_text(dumped, "deliveryAddress")


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


# --- the fast path for order lines -------------------------------------------------------
#
# Orders are nearly all of a snapshot's volume, and the checks above cost ~100 Python calls per
# order. An order line is decoded by msgspec straight into the structs below: types, text
# lengths and integer ranges are checked in C, and the many fields no table keeps are skipped
# without becoming Python objects. Formats (decimals, GUIDs, times) are then checked with one
# regular expression per kind for the whole order. The fast path accepts only what the checks
# above pass unchanged (decimals a digit short of their column's limit, say); a line it does not
# accept whole (a number sent as a JSON number, an escape to undo, a value near a limit, a bad
# line) goes to `order_rows`, which decides exactly as before: the same rows, the same reasons.

_Text2 = Annotated[str, msgspec.Meta(max_length=2)]
_Text3 = Annotated[str, msgspec.Meta(max_length=3)]
_Text20 = Annotated[str, msgspec.Meta(max_length=20)]
_Text50 = Annotated[str, msgspec.Meta(max_length=50)]
_Text100 = Annotated[str, msgspec.Meta(max_length=100)]
_Text200 = Annotated[str, msgspec.Meta(max_length=200)]
_Text300 = Annotated[str, msgspec.Meta(max_length=300)]
_Text320 = Annotated[str, msgspec.Meta(max_length=320)]
_Required30 = Annotated[str, msgspec.Meta(min_length=1, max_length=30)]
_Required50 = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
_Required300 = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
_Int32 = Annotated[int, msgspec.Meta(ge=-f.INT32 - 1, le=f.INT32)]
_Int64 = Annotated[int, msgspec.Meta(ge=-f.INT64 - 1, le=f.INT64)]


class _Fast(msgspec.Struct, kw_only=True, gc=False):
    """Unknown fields are skipped; a field not of its type sends the line to `order_rows`."""


class _Status(_Fast):
    id: _Int32 | None = None
    name: _Text100 | None = None


class _ItemStatus(_Fast):
    id: _Int32 | None = None


class _Name100(_Fast):
    name: _Text100 | None = None


class _Name200(_Fast):
    name: _Text200 | None = None


class _OrderPrice(_Fast):
    withVat: str
    withoutVat: str | None = None
    vat: str | None = None
    toPay: str | None = None
    currencyCode: _Text3 | None = None
    exchangeRate: str | None = None


class _Billing(_Fast):
    fullName: _Text200 | None = None
    company: _Text200 | None = None
    city: _Text100 | None = None
    zip: _Text20 | None = None
    countryCode: _Text2 | None = None


class _ItemPrice(_Fast):
    withVat: str
    withoutVat: str | None = None
    vat: str | None = None
    vatRate: str | None = None


class _WithVat(_Fast):
    withVat: str | None = None


class _Item(_Fast):
    itemId: _Int64
    itemType: _Required30
    name: _Required300
    amount: str
    itemPrice: _ItemPrice
    unitPrice: _WithVat | None = None
    purchasePrice: _WithVat | None = None
    productGuid: str | None = None
    code: _Text100 | None = None
    ean: _Text20 | None = None
    variantName: _Text300 | None = None
    brand: _Text200 | None = None
    amountUnit: _Text20 | None = None
    supplierName: _Text200 | None = None
    status: _ItemStatus | None = None


class _Order(_Fast):
    code: _Required50
    creationTime: str
    price: _OrderPrice
    items: list[_Item]
    status: _Status | None = None
    billingAddress: _Billing | None = None
    deliveryAddress: msgspec.Raw = msgspec.Raw(b"")  # parsed by orjson, as `order_rows` has it
    guid: str | None = None
    changeTime: str | None = None
    paid: bool | None = None
    source: _Name100 | None = None
    email: _Text320 | None = None
    phone: _Text50 | None = None
    customerGuid: str | None = None
    shipping: _Name200 | None = None
    paymentMethod: _Name200 | None = None


_ORDER = msgspec.json.Decoder(_Order)
N = f.NULL


def _values(pattern: str) -> Callable[[str], re.Match[str] | None]:
    """Checks many values joined by single spaces at once; NULL passes (see `_unescaped`)."""
    return re.compile(rf"(?:\\N|{pattern})(?: (?:\\N|{pattern}))*", re.ASCII).fullmatch


# integer digits one short of (precision - scale): the value fits whatever the rounding
_MONEY = _values(r"-?[0-9]{1,11}(?:\.[0-9]{1,8})?")  # numeric(14, 2)
_QUANTITY = _values(r"-?[0-9]{1,10}(?:\.[0-9]{1,8})?")  # numeric(14, 3)
_RATE = _values(r"-?[0-9]{1,2}(?:\.[0-9]{1,8})?")  # numeric(5, 2)
_EXCHANGE = _values(r"-?[0-9]{1,7}(?:\.[0-9]{1,8})?")  # numeric(16, 8)
_UUIDS = _values(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TIMES = _values(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:?[0-9]{2})")
_ORDER_MONEY, _ORDER_UUIDS, _ORDER_TIMES = itemgetter(23, 24, 25, 26), itemgetter(3, 12), itemgetter(2, 4)
_ITEM_MONEY = itemgetter(13, 14, 15, 16, 18)

# What orjson refuses in a field a skipping decoder never looks at: a number beyond a double
# (a three-digit exponent, or a mantissa of 200 characters), and bytes that are not UTF-8.
# Read with digits and '.' as 0, signs gone and a number's ends as ',', "1.5e+308}" reads
# "000e000,"; in a GUID, letters follow such digits.
_NUMBERS = bytes.maketrans(b"0123456789.Ee,}] \t\r\n", b"00000000000ee,,,,,,,")
_LONG_MANTISSA = b"0" * 200
_BIG_EXPONENT = re.compile(rb"e000+,").search


def _beyond_double(raw: bytes) -> bool:
    text = raw.translate(_NUMBERS, b"+-")
    return _LONG_MANTISSA in text or _BIG_EXPONENT(text) is not None


_UNSAFE = re.compile(r"[\\\t\n\r\x00]").search  # what COPY text needs escaped, and NUL


def _unescaped(rows: Rows) -> bool:
    """No value (NULL aside) has a character COPY needs escaped: only a line with a backslash
    can decode to one, and the fast path does no escaping."""
    return not any(_UNSAFE("\t".join(v for v in row if v is not N)) for _, row in rows)


def order_rows_from_line(raw: bytes, shop_id: int) -> Rows:
    """The rows of one order line, exactly as `order_rows(orjson.loads(raw), shop_id)` has them."""
    rows = fast_order_rows(raw, str(shop_id))
    return rows if rows is not None else order_rows(orjson.loads(raw), shop_id)


def fast_order_rows(raw: bytes, shop: str) -> Rows | None:
    """The fast path's rows, or None when the line is left to `order_rows`."""
    try:
        if not raw.isascii():
            raw.decode()
        if _beyond_double(raw):
            return None
        rows = _fast_order_rows(_ORDER.decode(raw), shop)
    except (msgspec.DecodeError, ValueError, RecursionError):  # ValueError: BadLine, bad UTF-8
        return None
    if b"\\" in raw and not _unescaped(rows):
        return None
    return rows


def _fast_order_rows(o: _Order, shop: str) -> Rows:
    """Rows from a decoded order; ValueError when a value needs `order_rows` to decide."""
    code, created = o.code, o.creationTime
    status = o.status
    status_id = N if status is None or status.id is None else str(status.id)
    billing = o.billingAddress or _NO_BILLING
    delivery = orjson.loads(memoryview(o.deliveryAddress)) if o.deliveryAddress else None
    price = o.price
    order = (
        shop,
        code,
        created,
        N if o.guid is None else o.guid,
        N if o.changeTime is None else o.changeTime,
        status_id,
        (status.name or N) if status is not None else N,
        "t" if status_id == CANCELLED else "f",
        N if o.paid is None else ("t" if o.paid else "f"),
        (o.source.name or N) if o.source is not None else N,
        o.email or N,
        o.phone or N,
        N if o.customerGuid is None else o.customerGuid,
        billing.fullName or N,
        billing.company or N,
        billing.city or N,
        billing.zip or N,
        billing.countryCode or N,
        _delivery(delivery),
        (o.shipping.name or N) if o.shipping is not None else N,
        (o.paymentMethod.name or N) if o.paymentMethod is not None else N,
        price.currencyCode or "CZK",
        N if price.exchangeRate is None else price.exchangeRate,
        price.withVat,
        N if price.withoutVat is None else price.withoutVat,
        N if price.vat is None else price.vat,
        N if price.toPay is None else price.toPay,
        str(len(o.items)),
    )
    rows: Rows = [(ORDERS, order)]
    money = list(_ORDER_MONEY(order))
    uuids = list(_ORDER_UUIDS(order))
    amounts: list[str] = []
    rates: list[str] = []
    for item in o.items:
        ip, up, pp, st = item.itemPrice, item.unitPrice, item.purchasePrice, item.status
        row = (
            shop,
            code,
            str(item.itemId),
            created,
            item.itemType,
            N if item.productGuid is None else item.productGuid,
            item.code or N,
            item.ean or N,
            item.name,
            item.variantName or N,
            item.brand or N,
            item.amount,
            item.amountUnit or N,
            N if up is None or up.withVat is None else up.withVat,
            ip.withVat,
            N if ip.withoutVat is None else ip.withoutVat,
            N if ip.vat is None else ip.vat,
            N if ip.vatRate is None else ip.vatRate,
            N if pp is None or pp.withVat is None else pp.withVat,
            item.supplierName or N,
            N if st is None or st.id is None else str(st.id),
        )
        rows.append((ORDER_ITEMS, row))
        money += _ITEM_MONEY(row)
        uuids.append(row[5])
        amounts.append(row[11])
        rates.append(row[17])
    times = _ORDER_TIMES(order)
    if not (
        _all(_MONEY, money)
        and _all(_UUIDS, uuids)
        and _all(_TIMES, times)
        and _all(_EXCHANGE, (order[22],))
        and _all(_QUANTITY, amounts)
        and _all(_RATE, rates)
        and all(t is N or f.real_time(t) for t in times)
    ):
        raise ValueError("left to order_rows")
    return rows


def _all(check: Callable[[str], re.Match[str] | None], values: Sequence[str]) -> bool:
    """Every value passes: joined by spaces, which no valid value has (counted, so a value
    with a space cannot pass as two)."""
    if not values:
        return True
    joined = " ".join(values)
    return joined.count(" ") == len(values) - 1 and check(joined) is not None


_NO_BILLING = _Billing()


def _from_json(mapper: Callable[[Any, int], Rows]) -> Callable[[bytes, int], Rows]:
    return lambda raw, shop_id: mapper(orjson.loads(raw), shop_id)


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

# line -> rows; a JSONDecodeError or BadLine is the line's reject reason
LINE_MAPPERS: dict[str, Callable[[bytes, int], Rows]] = {
    "orders": order_rows_from_line,
    "customers": _from_json(customer_rows),
    "products": _from_json(product_rows),
}
