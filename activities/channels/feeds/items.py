"""The rows every catalog feed is made of, streamed from PostgreSQL with `COPY (query) TO STDOUT`.

One row per sellable variant. The query joins and formats prices (work the database process
does beside ours); the rows arrive as COPY text, read in big chunks (`CHUNK_BYTES`) and split into fields with
`str.split` (no per-value adaptation, the cheapest way a Python client gets rows). The HTML of
a description is turned into text here, once per product (a product's variants arrive
together; the query walks variants by product), because Python's regular expressions are many
times faster than PostgreSQL's. A 500 000-variant catalog never sits in memory: one batch of
rows (`FETCH_ROWS` or so) at a time.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

import psycopg
from psycopg import sql

# rows per batch handed to the writers: big enough that per-batch costs vanish, small enough
# that a batch of rows and its text stay a few MB
FETCH_ROWS = 5000
# COPY data read ahead per hand-over (about FETCH_ROWS rows of a typical catalog)
CHUNK_BYTES = 1 << 20
# work_mem of the feed query's transaction (its hash of the shop's products)
HASH_MEMORY = "64MB"


class FeedItem(NamedTuple):
    item_id: str  # the variant's code: stable, and what an order names
    group_id: str | None  # the product's guid when it has more than one variant
    name: str
    description: str | None  # plain text (tags and entities resolved)
    url: str | None
    image_url: str | None
    price: str  # with VAT, two decimals
    currency: str
    in_stock: bool | str  # truthy when in stock (streamed rows carry 't' or '')
    ean: str | None
    brand: str | None
    category: str | None
    slug_source: str  # the product name, to derive a URL when the catalog has none


@dataclass(frozen=True)
class FeedShop:
    """What the feeds say about the shop itself."""

    shop_id: int
    name: str
    url: str | None  # the e-shop's public address, e.g. https://www.example.cz/
    delivery: tuple[tuple[str, str, str | None], ...] = ()  # (carrier id, price, COD price)
    out_of_stock_days: int = 14


# Columns: FeedItem's, then the product guid; an absent value is '' (falsy, as None would be,
# and cheaper to read than COPY's \N), in_stock is 't' or ''. The product guid (to convert a product's description once). The
# description is the stored HTML; `html_to_text` makes it plain. The variant count is a window
# over variants in the order of ix_variants_shop_product (an index scan, no sort: rows still
# stream), so a product's variants usually arrive one after another and its description is
# converted once; when they do not, it is converted again, never wrong.
ITEMS_SQL = r"""
SELECT v.code,
       CASE WHEN v.variants > 1 THEN v.product_guid::text ELSE '' END,
       p.name || coalesce(' ' || nullif(btrim(v.name), ''), ''),
       coalesce(p.description, ''),
       coalesce(p.url, ''),
       coalesce(p.image_url, ''),
       to_char(v.price_with_vat, 'FM999999999990.00'),
       v.currency,
       CASE WHEN coalesce(v.stock_total, 0) > 0 THEN 't' ELSE '' END,
       coalesce(btrim(v.ean), ''),
       coalesce(p.brand, ''),
       coalesce(p.default_category, ''),
       p.name,
       v.product_guid
  FROM (SELECT v.code, v.product_guid, v.name, v.price_with_vat, v.currency, v.stock_total,
               v.ean, count(*) OVER w AS variants
          FROM variants v
         WHERE v.shop_id = %(shop)s
        WINDOW w AS (PARTITION BY v.product_guid)) v
  JOIN (SELECT p.guid, p.name, p.url, p.image_url, p.brand, p.default_category, pt.description
          FROM products p
          LEFT JOIN product_translations pt
                 ON pt.shop_id = p.shop_id AND pt.product_guid = p.guid AND pt.locale = %(locale)s
         WHERE p.shop_id = %(shop)s AND NOT p.deleted
           AND (p.visibility IS NULL OR p.visibility = 'visible')) p ON p.guid = v.product_guid
 WHERE v.price_with_vat IS NOT NULL
"""

_TAG = re.compile(r"<[^>]*>")


def html_to_text(value: str) -> str | None:
    """A description's HTML as one line of plain text (tags to spaces, entities resolved,
    whitespace collapsed), or None when nothing is left."""
    if "<" in value:
        value = _TAG.sub(" ", value)
    if "&" in value:
        value = html.unescape(value)
    return " ".join(value.split()) or None


# COPY's text format: fields separated by tab, and a backslash escapes \ and the control
# characters b f n r t v (the query writes no NULLs, so no \N)
_COPY_ESCAPE = re.compile(r"\\(.)")
_COPY_CHARS = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def _unescape(match: re.Match[str]) -> str:
    char = match.group(1)
    return _COPY_CHARS.get(char, char)


def _escaped_row(line: str) -> list[Any]:
    return [_COPY_ESCAPE.sub(_unescape, v) if "\\" in v else v for v in line.split("\t")]


def parse_rows(text: str, last: list[Any]) -> list[FeedItem]:
    """COPY text lines (complete ones) as FeedItem-shaped rows. `last` carries the previous
    product's guid and plain description across calls. Per row: one split, one comparison;
    the lists are not turned into tuples (they unpack the same)."""
    items: list[Any] = []
    append = items.append
    for line in text.split("\n"):
        if not line:
            continue
        fields: list[Any] = _escaped_row(line) if "\\" in line else line.split("\t")
        guid = fields.pop()
        if guid != last[0]:
            last[0] = guid
            desc = fields[3]
            last[1] = html_to_text(desc) if desc else None
        fields[3] = last[1]
        append(fields)
    return cast(list[FeedItem], items)


def stream_items(
    conn: psycopg.Connection[Any], shop_id: int, locale: str = "cs"
) -> Iterator[FeedItem]:
    """Every sellable variant of a shop, streamed with COPY TO STDOUT (the rows stay in the
    database until read; no ORDER BY, which would make it compute every row before sending
    the first). The database computes and sends rows in its own process while this one writes
    the previous chunk (the socket's buffers hold what is sent ahead), so the two overlap
    without a reader thread (which would hold the connection if the caller stopped early)."""
    query = sql.SQL(ITEMS_SQL.replace("%(shop)s", "{shop}").replace("%(locale)s", "{locale}"))
    statement = sql.SQL("COPY ({}) TO STDOUT").format(
        query.format(shop=sql.Literal(shop_id), locale=sql.Literal(locale))
    )
    last: list[Any] = [None, None]
    # hash joins only, for this transaction: linear whatever the statistics say (a catalog
    # imported minutes ago has none yet, and a nested loop over it is quadratic); the hash
    # tables live in the database's memory, not ours
    conn.execute(
        "SELECT set_config('enable_nestloop', 'off', true), set_config('work_mem', %s, true)",
        (HASH_MEMORY,),
    )
    with conn.cursor().copy(statement) as copy:
        read = _chunks(copy)
        while chunk := read():
            yield from parse_rows(chunk, last)


def _chunks(copy: psycopg.Copy) -> Callable[[], str]:
    """A reader of whole lines of COPY data, about CHUNK_BYTES at a time ('' at the end)."""
    rest = b""
    done = False

    def read() -> str:
        nonlocal rest, done
        if done:
            return ""
        parts = [rest]
        size = len(rest)
        while size < CHUNK_BYTES:
            data = copy.read()
            if not data:
                done = True
                break
            parts.append(bytes(data))
            size += len(data)
        data = b"".join(parts)
        if done:
            rest = b""
            return data.decode()
        cut = data.rfind(b"\n") + 1
        rest = data[cut:]
        return data[:cut].decode()

    return read


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """Shoptet's URL name of a product: its name in lowercase ASCII, words joined by '-'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")


def page_url(url: str | None, product_name: str, shop: FeedShop) -> str | None:
    """The product page: the catalog's URL, else the shop's address and the product's URL name
    (what Shoptet makes of a name), else None (the item cannot be listed)."""
    if url:
        return url
    if not shop.url:
        return None
    return f"{shop.url.rstrip('/')}/{slug(product_name)}/"
