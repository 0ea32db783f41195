"""The rows every catalog feed is made of, streamed from PostgreSQL through a server-side cursor.

One row per sellable variant. The query does the joining, the text formatting of prices, the
HTML-to-text of descriptions and the "is it a variant of a bigger product" count (work the
database process does beside ours), so Python only escapes and writes; rows arrive `FETCH_ROWS`
at a time as plain tuples, so a 500 000-variant catalog never sits in memory.
"""

from __future__ import annotations

import queue
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

import psycopg

# rows per round trip of the server-side cursor: big enough that round trips do not dominate,
# small enough that a batch of rows stays a few MB
FETCH_ROWS = 5000


class FeedItem(NamedTuple):
    item_id: str  # the variant's code: stable, and what an order names
    group_id: str | None  # the product's guid when it has more than one variant
    name: str
    description: str | None  # plain text (tags and the common entities already resolved)
    url: str | None
    image_url: str | None
    price: str  # with VAT, two decimals
    currency: str
    in_stock: bool
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


ITEMS_SQL = r"""
SELECT v.code,
       CASE WHEN g.variants > 1 THEN v.product_guid::text END,
       p.name || coalesce(' ' || nullif(btrim(v.name), ''), ''),
       nullif(btrim(regexp_replace(
           replace(replace(replace(replace(replace(replace(
               regexp_replace(pt.description, '<[^>]*>', ' ', 'g'),
               '&nbsp;', ' '), '&lt;', '<'), '&gt;', '>'), '&quot;', '"'), '&#39;', ''''),
               '&amp;', '&'),
           '\s+', ' ', 'g')), ''),
       p.url,
       p.image_url,
       to_char(v.price_with_vat, 'FM999999999990.00'),
       v.currency,
       coalesce(v.stock_total, 0) > 0,
       nullif(btrim(v.ean), ''),
       p.brand,
       p.default_category,
       p.name
  FROM variants v
  JOIN products p ON p.shop_id = v.shop_id AND p.guid = v.product_guid
  JOIN (SELECT product_guid, count(*) AS variants FROM variants WHERE shop_id = %(shop)s
         GROUP BY product_guid) g ON g.product_guid = v.product_guid
  LEFT JOIN product_translations pt
         ON pt.shop_id = v.shop_id AND pt.product_guid = v.product_guid AND pt.locale = %(locale)s
 WHERE v.shop_id = %(shop)s
   AND NOT p.deleted
   AND coalesce(p.visibility, 'visible') = 'visible'
   AND v.price_with_vat IS NOT NULL
"""


def stream_items(
    conn: psycopg.Connection[Any], shop_id: int, locale: str = "cs"
) -> Iterator[FeedItem]:
    """Every sellable variant of a shop, through a named (server-side) cursor.
    Must run inside a transaction (a named cursor lives in one). No ORDER BY: a sort would
    make the database compute every row before sending the first; unsorted, rows stream.

    A thread fetches the next batch while the caller writes the current one: the database
    computes rows in its own process meanwhile, and the client waits on the socket with the GIL
    released, so fetching and writing overlap. At most `PREFETCH` batches wait in the queue."""
    with conn.cursor(name=f"feed_items_{shop_id}") as cur:
        cur.execute(ITEMS_SQL, {"shop": shop_id, "locale": locale})
        # plain tuples in FeedItem's field order: a named tuple per row costs a tenth of the time
        for batch in _prefetched(lambda: cur.fetchmany(FETCH_ROWS)):
            yield from cast(list[FeedItem], batch)


PREFETCH = 2
_DONE: list[Any] = []


def _prefetched(fetch: Callable[[], list[Any]]) -> Iterator[list[Any]]:
    """`fetch()` results until an empty one, fetched ahead in a thread."""
    ready: queue.Queue[list[Any] | BaseException] = queue.Queue(maxsize=PREFETCH)
    stop = threading.Event()

    def produce() -> None:
        try:
            while not stop.is_set():
                batch = fetch()
                _put(batch or _DONE)
                if not batch:
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            _put(exc)

    def _put(item: list[Any] | BaseException) -> None:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    worker = threading.Thread(target=produce, name="feed-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = ready.get()
            if isinstance(item, BaseException):
                raise item
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        worker.join()


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
