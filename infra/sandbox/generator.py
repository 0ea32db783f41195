"""Seeded, deterministic shop data: order i, product j and customer k are pure functions of
(spec, index), so a shop of 300 000 orders is never held in memory and every test run sees
the same data.

Shape follows the official OpenAPI schemas (order detail = snapshot line, product and
customer detail, list items, supplies). Realism the analytics depend on: a weekly rhythm,
a Christmas peak and Black Friday, daily hours, repeat buyers next to one-off guests,
popular products, variants with per-stock amounts, shipping and billing rows, Czech names.

Order creation times are monotonic in the index (inverse of a cumulative day/hour weight
table), which makes codes (`2024000057`, per-year sequence), time filters and change feeds
binary searches instead of scans.
"""

from __future__ import annotations

import bisect
import gzip
import hashlib
import io
import math
import random
import unicodedata
import zlib
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import orjson

from infra.sandbox import czech
from infra.sandbox.formats import (
    amount,
    day_length,
    local_midnight,
    money,
    shoptet_date,
    shoptet_time,
    year_of,
)

RESOURCES = ("orders", "products", "customers")
ORDER_INCLUDES = frozenset(
    {"notes", "images", "shippingdetails", "stocklocation", "surchargeparameters", "productflags"}
)
PRODUCT_INCLUDES = frozenset(
    {
        "images",
        "variantparameters",
        "allcategories",
        "flags",
        "descriptiveparameters",
        "measureunit",
        "surchargeparameters",
        "setitems",
        "filteringparameters",
        "recyclingfee",
        "consumptiontax",
        "warranty",
        "sortvariants",
        "gifts",
        "alternativeproducts",
        "relatedproducts",
        "relatedvideos",
        "relatedfiles",
        "perstockamounts",
        "perpricelistprices",
    }
)


@dataclass(frozen=True)
class ShopSpec:
    """Everything that determines a generated shop; two equal specs give byte-equal data.

    `mean_items` is the mean number of product rows per order; every order also carries
    one shipping and one billing row.
    """

    eshop_id: int
    seed: int = 1
    orders: int = 1000
    products: int = 200
    customers: int = 500
    mean_items: float = 2.0
    date_from: date = date(2023, 1, 1)
    date_to: date = date(2024, 12, 31)
    stocks: int = 2
    guest_share: float = 0.3
    # Epoch seconds of "now" on the sandbox clock when the shop was made: nothing is created or
    # changed at or after it (a shop whose date_to is today once had orders dated later today).
    until: float | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.eshop_id <= 0:
            problems.append(f"eshop_id must be positive, got {self.eshop_id}")
        if self.orders < 0:
            problems.append(f"orders must be >= 0, got {self.orders}")
        if self.products < 1 or self.customers < 1:
            problems.append("products and customers must be >= 1")
        if self.mean_items < 1:
            problems.append(f"mean_items must be >= 1, got {self.mean_items}")
        if self.date_to < self.date_from:
            problems.append(f"date_to {self.date_to} is before date_from {self.date_from}")
        if not 1 <= self.stocks <= len(czech.STOCKS):
            problems.append(f"stocks must be 1..{len(czech.STOCKS)}, got {self.stocks}")
        if not 0 <= self.guest_share <= 1:
            problems.append(f"guest_share must be within 0..1, got {self.guest_share}")
        if self.until is not None and self.until <= local_midnight(self.date_from):
            problems.append(f"until {self.until} is not after the start of date_from {self.date_from}")
        if problems:
            raise ValueError("invalid shop spec: " + "; ".join(problems))

    @property
    def eshop_url(self) -> str:
        return f"https://shop{self.eshop_id}.myshoptet.com/"

    @cached_property
    def timeline(self) -> Timeline:
        return Timeline(self)


def _rng(spec: ShopSpec, kind: str, index: int) -> random.Random:
    return random.Random(f"{spec.seed}:{kind}:{index}")


@lru_cache(maxsize=1024)
def _guid_mask(seed: int, eshop_id: int, kind: str) -> int:
    digest = hashlib.blake2b(f"{seed}:{eshop_id}:{kind}".encode(), digest_size=6).digest()
    return int.from_bytes(digest, "big")


def entity_guid(spec: ShopSpec, kind: str, index: int) -> str:
    """A v4-shaped GUID whose last group is the index XOR a per-kind mask, so lookups need no table."""
    h = hashlib.blake2b(
        f"{spec.seed}:{spec.eshop_id}:{kind}:{index}".encode(), digest_size=10
    ).hexdigest()
    tail = index ^ _guid_mask(spec.seed, spec.eshop_id, kind)
    return f"{h[0:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{tail:012x}"


def guid_index(spec: ShopSpec, kind: str, guid: str, count: int) -> int | None:
    """Index of the entity with this GUID, or None when no such entity exists."""
    try:
        index = int(guid[-12:], 16) ^ _guid_mask(spec.seed, spec.eshop_id, kind)
    except ValueError:
        return None
    if 0 <= index < count and entity_guid(spec, kind, index) == guid.lower():
        return index
    return None


def _ean13(seed: int, kind_index: int) -> str:
    body = f"859{(seed * 7919 + kind_index) % 10**9:09d}"
    total = sum(int(d) * (3 if pos % 2 else 1) for pos, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _ascii(text: str) -> str:
    return (
        unicodedata.normalize("NFKD", text)
        .encode("ascii", "ignore")
        .decode()
        .lower()
        .replace(" ", "")
    )


def _without_vat(with_vat: int, vat_bp: int) -> int:
    """Price without VAT in cents, rounded half up (vat_bp: 2100 = 21 %)."""
    return (2 * with_vat * 10000 + 10000 + vat_bp) // (2 * (10000 + vat_bp))


@lru_cache(maxsize=65536)
def _price_cached(with_vat: int, vat_bp: int) -> dict[str, str]:
    without = _without_vat(with_vat, vat_bp)
    return {
        "withVat": money(with_vat),
        "withoutVat": money(without),
        "vat": money(with_vat - without),
        "vatRate": money(vat_bp),
    }


def _price(with_vat: int, vat_bp: int) -> dict[str, str]:
    """Shoptet's itemPrice object; a fresh copy, so callers may edit it."""
    return dict(_price_cached(with_vat, vat_bp))


# ---------------------------------------------------------------------------- time


_WEEKDAY = (1.12, 1.08, 1.04, 1.0, 0.92, 0.78, 1.06)
_MONTH = (0.85, 0.85, 0.95, 0.95, 0.95, 0.9, 0.8, 0.85, 1.0, 1.05, 1.2, 1.6)
_HOURS = (
    0.2,
    0.1,
    0.05,
    0.05,
    0.05,
    0.1,
    0.3,
    0.6,
    0.9,
    1.1,
    1.2,
    1.2,
    1.1,
    1.0,
    1.0,
    1.0,
    1.0,
    1.1,
    1.3,
    1.5,
    1.6,
    1.4,
    0.9,
    0.5,
)
_HOUR_CUM = tuple(sum(_HOURS[:h]) / sum(_HOURS) for h in range(25))


def black_friday(year: int) -> date:
    """The fourth Friday of November."""
    first = date(year, 11, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 21)


def day_weight(day: date, start: date, end: date) -> float:
    """Relative order volume of a day: weekday rhythm, seasons, Christmas, Black Friday, growth."""
    weight = _WEEKDAY[day.weekday()] * _MONTH[day.month - 1]
    if day.month == 12:
        if day.day <= 20:
            weight *= 1.0 + 0.06 * day.day
        elif day.day <= 26:
            weight *= 0.3
    bf = black_friday(day.year)
    offset = (day - bf).days
    if offset == 0:
        weight *= 3.5
    elif offset in (1, 2):
        weight *= 1.8
    elif offset == 3:
        weight *= 2.2
    elif -7 <= offset < 0:
        weight *= 1.3
    span = max(1, (end - start).days)
    return weight * (1.0 + 0.3 * (day - start).days / span)


class Timeline:
    """Monotonic creation/change times for orders, customers and products of one spec."""

    def __init__(self, spec: ShopSpec) -> None:
        self.spec = spec
        days = [
            spec.date_from + timedelta(days=d)
            for d in range((spec.date_to - spec.date_from).days + 1)
        ]
        if spec.until is not None:
            days = [d for d in days if local_midnight(d) < spec.until]
        weights = [day_weight(d, spec.date_from, spec.date_to) for d in days]
        lengths = [day_length(d) for d in days]
        if spec.until is not None and local_midnight(days[-1]) + lengths[-1] > spec.until:
            # today so far: its share of orders shrinks with the part of the day that has passed
            passed = spec.until - local_midnight(days[-1])
            weights[-1] *= passed / lengths[-1]
            lengths[-1] = passed
        total = sum(weights)
        self._cum = array("d", [0.0])
        for w in weights:
            self._cum.append(self._cum[-1] + w / total)
        self._starts = array("d", (local_midnight(d) for d in days))
        self._lengths = array("d", lengths)
        self.start_ts = self._starts[0]
        self.end_ts = self._starts[-1] + self._lengths[-1]
        per_day = spec.orders / len(days)
        # An order's status changes about half a day's worth of orders after it arrives.
        self.order_lag = max(1, round(per_day / 2))
        self._year_first: dict[int, int] = {}
        span = self.end_ts - self.start_ts
        self._customer_t0 = self.start_ts - 180 * 86400
        self._customer_step = (self.end_ts - self._customer_t0) / spec.customers
        self._product_t0 = self.start_ts - 2 * 365 * 86400
        self._product_step = (self.end_ts - 30 * 86400 - self._product_t0) / spec.products
        self._tail_step = max(60.0, span / max(1, spec.orders))

    def order_time(self, i: int) -> int:
        n = self.spec.orders
        if i >= n:
            return (
                int(self.order_time(n - 1) + (i - n + 1) * self._tail_step)
                if n
                else int(self.end_ts)
            )
        u = (i + 0.5) / n
        d = min(bisect.bisect_right(self._cum, u) - 1, len(self._starts) - 1)
        within = (u - self._cum[d]) / max(self._cum[d + 1] - self._cum[d], 1e-18)
        h = min(bisect.bisect_right(_HOUR_CUM, within) - 1, 23)
        frac_hour = (within - _HOUR_CUM[h]) / (_HOUR_CUM[h + 1] - _HOUR_CUM[h])
        seconds = (h + frac_hour) * 3600.0
        return int(self._starts[d] + seconds * self._lengths[d] / 86400.0)

    def _not_after_until(self, ts: int, created: int) -> int:
        """A change time, kept before `until` (never before its creation); stays monotonic."""
        if self.spec.until is None:
            return ts
        return max(created, min(ts, int(self.spec.until) - 1))

    def order_change_time(self, i: int) -> int:
        return self._not_after_until(self.order_time(i + self.order_lag) + 37, self.order_time(i))

    def first_order_at(self, ts: float) -> int:
        """Smallest order index created at or after `ts` (== orders when none)."""
        return _first_true(self.spec.orders, lambda i: self.order_time(i) >= ts)

    def first_order_changed_at(self, ts: float) -> int:
        return _first_true(self.spec.orders, lambda i: self.order_change_time(i) >= ts)

    def year_first(self, year: int) -> int:
        if year not in self._year_first:
            self._year_first[year] = self.first_order_at(local_midnight(date(year, 1, 1)))
        return self._year_first[year]

    def customer_time(self, k: int) -> int:
        return int(self._customer_t0 + (k + 0.5) * self._customer_step)

    def customer_change_time(self, k: int) -> int:
        created = self.customer_time(k)
        return self._not_after_until(int(created + 3 * self._customer_step + 3600), created)

    def customers_by(self, ts: float) -> int:
        """How many customers had registered by `ts` (at least one, so orders can pick)."""
        return max(
            1, min(self.spec.customers, int((ts - self._customer_t0) / self._customer_step + 0.5))
        )

    def product_time(self, j: int) -> int:
        return int(self._product_t0 + (j + 0.5) * self._product_step)

    def product_change_time(self, j: int) -> int:
        created = self.product_time(j)
        return self._not_after_until(int(created + 5 * self._product_step + 7200), created)

    def products_by(self, ts: float) -> int:
        return max(
            1, min(self.spec.products, int((ts - self._product_t0) / self._product_step + 0.5))
        )

    def first_at(self, kind: str, ts: float, *, change: bool = False) -> int:
        """Smallest index of `kind` whose creation (or change) time is >= ts."""
        if kind == "orders":
            return self.first_order_changed_at(ts) if change else self.first_order_at(ts)
        count, fn = {
            "customers": (
                self.spec.customers,
                self.customer_change_time if change else self.customer_time,
            ),
            "products": (
                self.spec.products,
                self.product_change_time if change else self.product_time,
            ),
        }[kind]
        return _first_true(count, lambda i: fn(i) >= ts)


def _first_true(n: int, pred: Any) -> int:
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def order_code(spec: ShopSpec, i: int) -> str:
    tl = spec.timeline
    year = year_of(tl.order_time(i))
    return f"{year}{i - tl.year_first(year) + 1:06d}"


def order_index(spec: ShopSpec, code: str) -> int | None:
    """Index of the generated order with this code, or None."""
    if len(code) != 10 or not code.isdigit():
        return None
    year, seq = int(code[:4]), int(code[4:])
    if seq < 1:
        return None
    tl = spec.timeline
    i = tl.year_first(year) + seq - 1
    if i >= spec.orders or year_of(tl.order_time(i)) != year:
        return None
    return i


# ---------------------------------------------------------------------------- products


@dataclass(frozen=True)
class Variant:
    code: str
    ean: str
    label: str | None  # e.g. "Barva: Modrá"
    param: tuple[str, str, str] | None  # (parameter name, value, index)
    price: int  # cents with VAT
    purchase: int  # cents with VAT
    weight: int  # grams
    stock: tuple[int, ...]  # whole units per stock


@dataclass(frozen=True)
class Product:
    index: int
    guid: str
    name: str
    category: int
    vat_bp: int
    brand: int | None
    supplier: int
    variants: tuple[Variant, ...]


def variant_count(spec: ShopSpec, j: int) -> int:
    """1 for most products, 3 colours or 4 sizes for the rest; cheap enough to sum over a catalogue."""
    bucket = zlib.crc32(f"{spec.seed}:variants:{j}".encode()) % 10
    return 1 if bucket < 6 else (3 if bucket < 8 else 4)


@lru_cache(maxsize=256)
def variant_offsets(spec: ShopSpec) -> array:
    """Prefix sums of variant counts: variants of product j are [offsets[j], offsets[j+1])."""
    offsets = array("q", [0])
    for j in range(spec.products):
        offsets.append(offsets[-1] + variant_count(spec, j))
    return offsets


@lru_cache(maxsize=16384)
def product(spec: ShopSpec, j: int) -> Product:
    rng = _rng(spec, "product", j)
    cat = rng.randrange(len(czech.CATEGORIES))
    _, nouns, vat_bp, (lo, hi), (wlo, whi) = czech.CATEGORIES[cat]
    name = f"{rng.choice(nouns)} {rng.choice(czech.ADJECTIVES)} {j + 1}"
    crowns = rng.randint(lo, hi)
    crowns = crowns - crowns % 10 + 9
    count = variant_count(spec, j)
    axis = None if count == 1 else (czech.COLOURS if count == 3 else czech.SIZES)
    values = [None] if axis is None else rng.sample(axis[1], count) if count == 3 else list(axis[1])
    variants = []
    for v, value in enumerate(values):
        base = f"{j + 1:05d}"
        price = (crowns + (10 * v if axis is czech.SIZES else 0)) * 100
        stock = tuple(0 if rng.random() < 0.08 else rng.randint(1, 120) for _ in range(spec.stocks))
        variants.append(
            Variant(
                code=base if value is None else f"{base}/{value[1]}",
                ean=_ean13(spec.seed, j * 8 + v),
                label=None if value is None else f"{axis[0]}: {value[0]}",
                param=None if value is None else (axis[0], value[0], _ascii(value[0])),
                price=price,
                purchase=int(price * rng.uniform(0.45, 0.7)) // 100 * 100,
                weight=rng.randint(wlo, whi),
                stock=stock,
            )
        )
    return Product(
        index=j,
        guid=entity_guid(spec, "product", j),
        name=name,
        category=cat,
        vat_bp=vat_bp,
        brand=None if rng.random() < 0.15 else rng.randrange(len(czech.BRANDS)),
        supplier=rng.randrange(len(czech.SUPPLIERS)),
        variants=tuple(variants),
    )


def _brand(p: Product) -> dict[str, str] | None:
    if p.brand is None:
        return None
    code, name = czech.BRANDS[p.brand]
    return {"code": code, "name": name}


def _supplier(spec: ShopSpec, p: Product) -> dict[str, str]:
    return {"guid": entity_guid(spec, "supplier", p.supplier), "name": czech.SUPPLIERS[p.supplier]}


def _category(spec: ShopSpec, p: Product) -> dict[str, Any]:
    return {
        "guid": entity_guid(spec, "category", p.category),
        "name": czech.CATEGORIES[p.category][0],
        "visible": True,
    }


def _slug(text: str) -> str:
    return "-".join(_ascii(part) for part in text.split())


def _stock_location(j: int, stock: int) -> str:
    return f"{'ABCDEF'[(j + stock) % 6]}{1 + j % 9}-{j % 40:02d}"


def product_summary(spec: ShopSpec, j: int) -> dict[str, Any]:
    """One item of `GET /api/products`."""
    p = product(spec, j)
    tl = spec.timeline
    return {
        "guid": p.guid,
        "name": p.name,
        "type": "product",
        "url": f"{spec.eshop_url}{_slug(p.name)}/",
        "visibility": "visible",
        "creationTime": shoptet_time(tl.product_time(j)),
        "changeTime": shoptet_time(tl.product_change_time(j)),
        "brand": _brand(p),
        "supplier": _supplier(spec, p),
        "defaultCategory": _category(spec, p),
    }


def product_detail(spec: ShopSpec, j: int, include: frozenset[str] = frozenset()) -> dict[str, Any]:
    """`GET /api/products/{guid}` data, also the products snapshot line."""
    p = product(spec, j)
    tl = spec.timeline
    changed = shoptet_time(tl.product_change_time(j))
    variants = []
    for v in p.variants:
        row: dict[str, Any] = {
            "code": v.code,
            "ean": v.ean,
            "stock": amount(sum(v.stock) * 1000),
            "unit": "ks",
            "weight": amount(v.weight),
            "width": "10.0",
            "height": "8.0",
            "depth": "12.0",
            "visible": True,
            "price": money(v.price),
            "commonPrice": None,
            "manufacturerCode": None,
            "pluCode": None,
            "isbn": None,
            "serialNo": None,
            "mpn": None,
            "includingVat": True,
            "vatRate": money(p.vat_bp),
            "currencyCode": "CZK",
            "minStockSupply": amount(5000),
            "actionPrice": None,
            "name": v.label,
            "amountDecimalPlaces": 0,
            "negativeStockAllowed": "no-global",
            "availability": {"id": -1, "name": "Skladem"}
            if sum(v.stock)
            else {"id": -2, "name": "Vyprodáno"},
            "prices": {
                "purchasePrice": {
                    "price": money(v.purchase),
                    "vatRate": money(p.vat_bp),
                    "includingVat": True,
                }
            },
        }
        if "variantparameters" in include and v.param:
            name, value, index = v.param
            row["parameters"] = [
                {
                    "paramName": name,
                    "paramIndex": _ascii(name),
                    "paramValue": value,
                    "displayName": name,
                    "rawValue": index,
                    "color": None,
                    "image": None,
                    "valuePriority": 1,
                }
            ]
        if "perstockamounts" in include:
            row["perStockAmounts"] = [
                {
                    "stockId": s + 1,
                    "amount": amount(units * 1000),
                    "claim": amount(0),
                    "location": _stock_location(j, s),
                    "lastAmountUpdate": changed,
                }
                for s, units in enumerate(v.stock)
            ]
        variants.append(row)
    detail: dict[str, Any] = {
        "guid": p.guid,
        "type": "product",
        "name": p.name,
        "indexName": _slug(p.name),
        "brand": _brand(p),
        "supplier": _supplier(spec, p),
        "visibility": "visible",
        "creationTime": shoptet_time(tl.product_time(j)),
        "changeTime": changed,
        "shortDescription": f"{p.name} z kategorie {czech.CATEGORIES[p.category][0]}.",
        "description": f"<p>{p.name}: oblíbený produkt našeho obchodu.</p>",
        "metaDescription": None,
        "url": f"{spec.eshop_url}{_slug(p.name)}/",
        "internalNote": None,
        "hsCode": None,
        "defaultCategory": _category(spec, p),
        "isVariant": len(p.variants) > 1,
        "variants": variants,
    }
    if "allcategories" in include:
        detail["categories"] = [{**_category(spec, p), "parentGuid": None}]
        detail["categories"][0].pop("visible")
    if "flags" in include:
        detail["flags"] = []
    return detail


# ---------------------------------------------------------------------------- customers


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    email: str
    phone: str
    street: str
    house: str
    town: tuple[str, str, str, str]
    company: str | None
    company_id: str | None


def _person(rng: random.Random, tag: str) -> Person:
    female = rng.random() < 0.55
    first = rng.choice(czech.FEMALE_FIRST if female else czech.MALE_FIRST)
    last = rng.choice(czech.SURNAMES)[1 if female else 0]
    company = rng.choice(czech.COMPANIES) if rng.random() < 0.08 else None
    return Person(
        first=first,
        last=last,
        email=f"{_ascii(first)}.{_ascii(last)}.{tag}@{rng.choice(czech.EMAIL_DOMAINS)}",
        phone=f"+420{rng.choice('67')}{rng.randint(0, 99_999_999):08d}",
        street=rng.choice(czech.STREETS),
        house=f"{rng.randint(1, 2999)}/{rng.randint(1, 60)}"
        if rng.random() < 0.6
        else str(rng.randint(1, 999)),
        town=rng.choice(czech.TOWNS),
        company=company,
        company_id=f"{rng.randint(10_000_000, 99_999_999)}" if company else None,
    )


@lru_cache(maxsize=16384)
def customer_person(spec: ShopSpec, k: int) -> Person:
    return _person(_rng(spec, "customer", k), f"{k + 1}")


def _billing_address(p: Person) -> dict[str, Any]:
    return {
        "company": p.company,
        "fullName": f"{p.first} {p.last}",
        "street": p.street,
        "houseNumber": p.house,
        "city": p.town[0],
        "district": None,
        "additional": None,
        "zip": p.town[1],
        "countryCode": "CZ",
        "regionName": p.town[2],
        "regionShortcut": p.town[3],
        "companyId": p.company_id,
        "vatId": f"CZ{p.company_id}" if p.company_id else None,
        "taxId": None,
    }


def _delivery_address(p: Person) -> dict[str, Any]:
    billing = _billing_address(p)
    for key in ("companyId", "vatId", "taxId"):
        billing.pop(key)
    return billing


def _admin_url(spec: ShopSpec, page: str, index: int) -> str:
    return f"{spec.eshop_url}admin/{page}?id={index + 1}"


def customer_summary(spec: ShopSpec, k: int) -> dict[str, Any]:
    p = customer_person(spec, k)
    tl = spec.timeline
    return {
        "guid": entity_guid(spec, "customer", k),
        "creationTime": shoptet_time(tl.customer_time(k)),
        "changeTime": shoptet_time(tl.customer_change_time(k)),
        "billCompany": p.company,
        "billFullName": f"{p.first} {p.last}",
        "adminUrl": _admin_url(spec, "zakaznici-detail", k),
    }


def customer_detail(spec: ShopSpec, k: int) -> dict[str, Any]:
    """`GET /api/customers/{guid}` data.customer, also the customers snapshot line."""
    p = customer_person(spec, k)
    tl = spec.timeline
    rng = _rng(spec, "customer-extra", k)
    vip = rng.random() < 0.15
    delivery = []
    if rng.random() < 0.3:
        other = _person(rng, f"{k + 1}d")
        delivery.append(
            {
                "guid": entity_guid(spec, "delivery-address", k),
                **_delivery_address(other),
                "isDefault": True,
            }
        )
    created = tl.customer_time(k)
    return {
        "guid": entity_guid(spec, "customer", k),
        "billingAddress": _billing_address(p),
        "deliveryAddress": delivery,
        "creationTime": shoptet_time(created),
        "changeTime": shoptet_time(tl.customer_change_time(k)),
        "customerGroup": {"id": 2, "name": "VIP"}
        if vip
        else {"id": 1, "name": "Registrovaní zákazníci"},
        "priceList": None,
        "remark": rng.choice(czech.CUSTOMER_REMARKS) if rng.random() < 0.1 else None,
        "priceRatio": "1.0000",
        "birthDate": shoptet_date(created - rng.randint(18, 70) * 365 * 86400)
        if rng.random() < 0.4
        else None,
        "accounts": [
            {
                "guid": entity_guid(spec, "account", k),
                "fullName": f"{p.first} {p.last}",
                "email": p.email,
                "phone": p.phone,
                "mainAccount": True,
                "authorized": True,
                "emailVerified": rng.random() < 0.9,
            }
        ],
        "disabledOrders": False,
        "remarks": [],
        "adminUrl": _admin_url(spec, "zakaznici-detail", k),
    }


# ---------------------------------------------------------------------------- orders


def method_guid(spec: ShopSpec, kind: str, index: int) -> str:
    return entity_guid(spec, kind, index)


def _order_status(rng: random.Random, age_days: float) -> int:
    r = rng.random()
    if age_days > 14:
        return -4 if r < 0.05 else -3
    if age_days > 3:
        return -4 if r < 0.05 else (-2 if r < 0.3 else -3)
    return -1 if r < 0.5 else (-2 if r < 0.8 else (-3 if r < 0.95 else -4))


def _status(status_id: int) -> dict[str, Any]:
    return {"id": status_id, "name": czech.STATUS_NAMES[status_id]}


def _service_item(
    item_id: int, item_type: str, name: str, cents: int, status: dict[str, Any], done: bool
) -> dict[str, Any]:
    return {
        "productGuid": None,
        "code": None,
        "ean": None,
        "itemType": item_type,
        "productType": None,
        "name": name,
        "variantName": None,
        "brand": None,
        "remark": None,
        "weight": "0.000",
        "additionalField": None,
        "amount": "1.000",
        "amountUnit": None,
        "priceRatio": "1.0000",
        "status": status,
        "itemPrice": _price(cents, 2100),
        "unitPrice": _price(cents, 2100),
        "purchasePrice": None,
        "recyclingFee": None,
        "itemId": item_id,
        "warrantyDescription": None,
        "amountCompleted": "1.000" if done else "0.000",
    }


LOYAL_EVERY = 10  # customers 0, 10, 20, ... form the repeat-buyer core


def order_full(spec: ShopSpec, i: int) -> dict[str, Any]:
    """Full order with every optional part; `shape_order` strips what was not asked for."""
    tl = spec.timeline
    rng = _rng(spec, "order", i)
    created = tl.order_time(i)
    status_id = _order_status(rng, (tl.end_ts - created) / 86400)
    status = _status(status_id)
    done = status_id == -3

    customer_guid = None
    if rng.random() >= spec.guest_share:
        available = tl.customers_by(created)
        pick = rng.random()
        if pick < 0.4:  # a first purchase soon after registering
            k = available - 1 - int(min(available, 50) * rng.random())
        elif pick < 0.75 and available >= LOYAL_EVERY:  # the loyal tenth who buy again and again
            k = LOYAL_EVERY * int(available // LOYAL_EVERY * rng.random())
        else:
            k = int(available * rng.random())
        person = customer_person(spec, k)
        customer_guid = entity_guid(spec, "customer", k)
    else:
        person = _person(rng, f"g{i + 1}")

    ship_idx = rng.choices(range(len(czech.SHIPPINGS)), weights=(45, 25, 20, 10))[0]
    pay_idx = (
        3
        if ship_idx == 3 and rng.random() < 0.7
        else rng.choices(range(3), weights=(35, 30, 35))[0]
    )
    ship_name, ship_cents, ship_company = czech.SHIPPINGS[ship_idx]
    pay_name, pay_cents, billing_id, billing_name = czech.PAYMENTS[pay_idx]

    rows = 1 + min(19, int(math.log(1.0 - rng.random()) / math.log(1.0 - 1.0 / spec.mean_items)))
    products_available = tl.products_by(created)
    items = []
    lines = [(ship_cents, 2100), (pay_cents, 2100)]  # (line total with VAT, VAT rate) for the sums
    base_id = (i + 1) * 100
    for row in range(rows):
        p = product(spec, int(products_available * rng.random() ** 1.8))
        v = p.variants[int(len(p.variants) * rng.random())]
        r = rng.random()
        units = 1 if r < 0.7 else (2 if r < 0.9 else 3 + int(3 * rng.random()))
        lines.append((v.price * units, p.vat_bp))
        items.append(
            {
                "productGuid": p.guid,
                "code": v.code,
                "ean": v.ean,
                "itemType": "product",
                "productType": "product",
                "name": p.name,
                "variantName": v.label,
                "brand": czech.BRANDS[p.brand][1] if p.brand is not None else None,
                "remark": None,
                "weight": amount(v.weight * units),
                "additionalField": None,
                "amount": amount(units * 1000),
                "amountUnit": "ks",
                "priceRatio": "1.0000",
                "status": status,
                "itemPrice": _price(v.price * units, p.vat_bp),
                "unitPrice": _price(v.price, p.vat_bp),
                "purchasePrice": _price(v.purchase, p.vat_bp),
                "recyclingFee": None,
                "itemId": base_id + row,
                "warrantyDescription": "24 měsíců",
                "amountCompleted": amount(units * 1000) if done else "0.000",
                "mainImage": None,
                "stockLocation": _stock_location(p.index, 0),
                "productFlags": [],
                "surchargeParameters": [],
            }
        )
    ship_item = _service_item(base_id + 98, "shipping", ship_name, ship_cents, status, done)
    pay_item = _service_item(base_id + 99, "billing", pay_name, pay_cents, status, done)
    items += [ship_item, pay_item]

    total_with = sum(line[0] for line in lines)
    total_without = sum(_without_vat(*line) for line in lines)
    ship_guid = method_guid(spec, "shipping", ship_idx)
    pay_guid = method_guid(spec, "payment", pay_idx)
    billing = _billing_address(person)
    same_address = rng.random() < 0.85
    delivery = _delivery_address(person if same_address else _person(rng, f"o{i + 1}"))
    remark = rng.choice(czech.ORDER_REMARKS) if rng.random() < 0.12 else None
    paid = done or (status_id in (-1, -2) and pay_idx == 2)
    return {
        "code": order_code(spec, i) if i < spec.orders else "",
        "guid": entity_guid(spec, "order", i),
        "externalCode": None,
        "creationTime": shoptet_time(created),
        "changeTime": shoptet_time(tl.order_change_time(i)),
        "email": person.email,
        "phone": person.phone,
        "birthDate": None,
        "clientIPAddress": f"{rng.choice((31, 46, 77, 89, 93, 185))}.{int(rng.random() * 256)}.{int(rng.random() * 256)}.{1 + int(rng.random() * 254)}",
        "customerGuid": customer_guid,
        "cashDeskOrder": False,
        "stockId": 1,
        "addressesEqual": same_address,
        "vatPayer": True,
        "vatMode": "Normal",
        "billingMethod": {"id": billing_id, "name": billing_name},
        "paymentMethod": {"guid": pay_guid, "name": pay_name},
        "shipping": {"guid": ship_guid, "name": ship_name},
        "shippingDetails": _shipping_details(rng, ship_company, person),
        "adminUrl": _admin_url(spec, "objednavky-detail", i),
        "status": status,
        "source": {"id": -1, "name": "E-shop"},
        "salesChannelGuid": None,
        "price": {
            "vat": money(total_with - total_without),
            "toPay": money(total_with),
            "currencyCode": "CZK",
            "withoutVat": money(total_without),
            "withVat": money(total_with),
            "exchangeRate": "1.00000000",
        },
        "paid": paid,
        "billingAddress": billing,
        "deliveryAddress": delivery,
        "onlinePaymentLink": None,
        "language": "cs",
        "referer": None,
        "paymentMethods": [
            {"paymentMethod": {"guid": pay_guid, "name": pay_name}, "itemId": pay_item["itemId"]}
        ],
        "shippings": [
            {"shipping": {"guid": ship_guid, "name": ship_name}, "itemId": ship_item["itemId"]}
        ],
        "items": items,
        "notes": {
            "customerRemark": remark,
            "eshopRemark": None,
            "trackingNumber": f"DR{i + 100000:08d}" if done and ship_company == "ppl" else None,
            "trackingUrl": None,
            "additionalFields": [],
        },
    }


def _shipping_details(
    rng: random.Random, company: str | None, person: Person
) -> dict[str, Any] | None:
    if company != "zasilkovna":
        return None
    return {
        "branchId": str(rng.randint(100, 29999)),
        "shippingCompanyCode": "zasilkovna",
        "name": f"{person.town[0]}, {person.street} {rng.randint(1, 200)}",
        "note": None,
        "place": "Výdejní místo",
        "street": f"{person.street} {rng.randint(1, 200)}",
        "city": person.town[0],
        "zipCode": person.town[1].replace(" ", ""),
        "countryCode": "CZ",
        "link": None,
        "latitude": None,
        "longitude": None,
        "carrierId": None,
    }


_ITEM_INCLUDES = {
    "images": "mainImage",
    "stocklocation": "stockLocation",
    "productflags": "productFlags",
    "surchargeparameters": "surchargeParameters",
}


def shape_order(full: dict[str, Any], include: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Drop the optional parts of a full order that `include` did not ask for (mutates and returns)."""
    if "notes" not in include:
        full.pop("notes", None)
    if "shippingdetails" not in include:
        full.pop("shippingDetails", None)
    dropped = [key for inc, key in _ITEM_INCLUDES.items() if inc not in include]
    for item in full["items"]:
        if item["itemType"] == "product":
            for key in dropped:
                item.pop(key, None)
    return full


def order_detail(spec: ShopSpec, i: int, include: frozenset[str] = frozenset()) -> dict[str, Any]:
    """`GET /api/orders/{code}` data.order, also the orders snapshot line."""
    return shape_order(order_full(spec, i), include)


def order_summary(full: dict[str, Any]) -> dict[str, Any]:
    """One item of `GET /api/orders`, cut from a full order."""
    billing = full["billingAddress"]
    return {
        "code": full["code"],
        "guid": full["guid"],
        "creationTime": full["creationTime"],
        "changeTime": full["changeTime"],
        "fullName": billing["fullName"],
        "company": billing["company"],
        "email": full["email"],
        "phone": full["phone"],
        "remark": full.get("notes", {}).get("customerRemark"),
        "customerGuid": full["customerGuid"],
        "cashDeskOrder": full["cashDeskOrder"],
        "adminUrl": full["adminUrl"],
        "status": full["status"],
        "source": full["source"],
        "shipping": full["shipping"],
        "paymentMethod": full["paymentMethod"],
        "price": full["price"],
        "paid": full["paid"],
        "salesChannelGuid": full["salesChannelGuid"],
    }


# ---------------------------------------------------------------------------- stock


def supply(
    spec: ShopSpec, stock_id: int, position: int, *, with_change_time: bool = False
) -> dict[str, Any]:
    """The `position`-th variant's row of `GET /api/stocks/{stockId}/supplies`."""
    offsets = variant_offsets(spec)
    j = bisect.bisect_right(offsets, position) - 1
    p = product(spec, j)
    v = p.variants[position - offsets[j]]
    row: dict[str, Any] = {
        "productGuid": p.guid,
        "code": v.code,
        "amount": amount(v.stock[stock_id - 1] * 1000),
        "claim": amount(0),
        "location": _stock_location(j, stock_id - 1),
    }
    if with_change_time:
        row["changeTime"] = shoptet_time(spec.timeline.product_change_time(j))
    return row


# ---------------------------------------------------------------------------- snapshot files


@dataclass
class SnapshotFile:
    lines: int = 0
    bytes: int = 0
    malformed: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    hostile: list[int] = field(default_factory=list)  # line numbers given a hostile value


def iter_records(spec: ShopSpec, resource: str) -> Iterator[dict[str, Any]]:
    """Every entity of a resource as its snapshot line (detail shape), generated lazily."""
    if resource == "orders":
        return (order_detail(spec, i) for i in range(spec.orders))
    if resource == "products":
        return (product_detail(spec, j) for j in range(spec.products))
    if resource == "customers":
        return (customer_detail(spec, k) for k in range(spec.customers))
    raise ValueError(f"unknown resource {resource!r}; expected one of {', '.join(RESOURCES)}")


# Values a decade-old shop can hold that look fine to a JSON schema but not to PostgreSQL's
# column types (each is applied to an order document; `hostile_rate` picks the lines).
HOSTILE_ORDER_VALUES: dict[str, Any] = {
    "impossible-date": lambda d: d.update(creationTime="2024-02-30T10:00:00+0100"),
    "vat-rate-1000": lambda d: d["items"] and d["items"][0]["itemPrice"].update(vatRate="1000.00"),
    "exchange-rate-overflow": lambda d: d["price"].update(exchangeRate="123456789.12345678"),
    "status-id-over-int": lambda d: d.update(status={**(d.get("status") or {}), "id": 2**31}),
    "nul-in-json": lambda d: d.update(deliveryAddress={"street": "Hlavn\u00ed 1\x00", "city": "Brno"}),
}


def make_hostile(record: dict[str, Any], kind: str) -> dict[str, Any]:
    """A copy of an order document with one PostgreSQL-hostile value of `kind`."""
    doc = orjson.loads(orjson.dumps(record))
    if kind == "vat-rate-1000" and not doc["items"]:
        kind = "impossible-date"  # an order without items has no VAT rate to spoil
    HOSTILE_ORDER_VALUES[kind](doc)
    return doc


def write_jsonl_gz(
    path: Path | str,
    records: Iterable[dict[str, Any]],
    *,
    malformed_rate: float = 0.0,
    hostile_rate: float = 0.0,
    seed: int = 0,
) -> SnapshotFile:
    """Stream records as gzip JSON lines; a `malformed_rate` share of lines is cut in half, a
    `hostile_rate` share of (order) lines carries a PostgreSQL-hostile value, kinds in turn."""
    result = SnapshotFile()
    faults = random.Random(seed)
    kinds = list(HOSTILE_ORDER_VALUES)
    with open(path, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=3, mtime=0) as gz:
            out = io.BufferedWriter(gz, buffer_size=1 << 20)
            for record in records:
                if hostile_rate and "items" in record and faults.random() < hostile_rate:
                    record = make_hostile(record, kinds[len(result.hostile) % len(kinds)])
                    result.hostile.append(result.lines + 1)
                line = orjson.dumps(record)
                if malformed_rate and faults.random() < malformed_rate:
                    line = line[: len(line) // 2]
                    result.malformed += 1
                out.write(line + b"\n")
                result.lines += 1
            out.flush()
        result.bytes = raw.tell()
    return result


def write_snapshot_file(
    path: Path | str, shop_spec: ShopSpec, resource: str, malformed_rate: float = 0.0,
    hostile_rate: float = 0.0,
) -> tuple[int, int]:
    """Write the whole snapshot of `resource` for a generated shop; returns (lines, bytes)."""
    written = write_jsonl_gz(
        path, iter_records(shop_spec, resource), malformed_rate=malformed_rate,
        hostile_rate=hostile_rate, seed=shop_spec.seed,
    )
    return written.lines, written.bytes
