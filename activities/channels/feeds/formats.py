"""The four feed formats: how one catalog item is written for each marketplace.

Each format writes a batch of items at a time (one string, or CSV rows) to a text stream, so
memory holds one batch, never the feed. An item a marketplace cannot take (no product page, or
no image where the spec requires one) is left out of that format and counted.

Specs (transcribed, see tests/channels/feeds/schemas/ORIGIN.md):
- Heureka.cz: https://sluzby.heureka.cz/napoveda/xml-feed/ (SHOP/SHOPITEM, no namespace)
- Zboží.cz: https://napoveda.zbozi.cz/xml-feed/specifikace/ (namespace below)
- Google Merchant Center / Meta catalog: RSS 2.0 with the `g:` namespace
  (https://support.google.com/merchants/answer/7052112; Meta reads the same file)
- idealo: the CSV offer feed (https://connect.idealo.de/import/offers/csv)
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from activities.channels.feeds.items import FeedItem, FeedShop, page_url
from activities.channels.feeds.text import cdata, escape_all, xml_text

ZBOZI_NS = "http://www.zbozi.cz/ns/offer/1.0"
GOOGLE_NS = "http://base.google.com/ns/1.0"
GOOGLE_TITLE_MAX = 150  # Google truncates longer titles and warns
GOOGLE_DESCRIPTION_MAX = 5000


_EAN = re.compile(r"^[0-9]{8,14}$")  # GTIN-8/12/13/14; anything else is left out, not sent
_ITEM_ID = re.compile(r"^[_\-0-9a-zA-Z]{1,36}$")
_NOT_ITEM_ID = re.compile(r"[^_\-0-9a-zA-Z]")


def marketplace_id(code: str) -> str:
    """Heureka's and Zboží's ITEM_ID/ITEMGROUP_ID: at most 36 of `[_-0-9a-zA-Z]`. A code that
    fits is used as is; any other gets its other characters as `_` and, when too long, its
    SHA-256 (stable, so the marketplace keeps pairing the item across feeds)."""
    if _ITEM_ID.match(code):
        return code
    safe = _NOT_ITEM_ID.sub("_", code)
    return safe if len(safe) <= 36 else hashlib.sha256(code.encode()).hexdigest()[:36]


class TextSink(Protocol):
    """Where a format writes (files.GzipSink; csv.writer takes it too)."""

    def write(self, text: str, /) -> int: ...


class FeedFormat(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def file_name(self) -> str:
        """The URL's file name: /feeds/{token}/{file_name}."""
        ...

    @property
    def media_type(self) -> str: ...

    def header(self, shop: FeedShop) -> str: ...

    def write_batch(self, out: TextSink, items: Sequence[FeedItem], shop: FeedShop) -> int:
        """Write the items it can list; returns how many it left out."""
        ...

    def footer(self) -> str: ...


def _delivery_xml(shop: FeedShop) -> str:
    return "".join(
        f"<DELIVERY><DELIVERY_ID>{xml_text(carrier)}</DELIVERY_ID>"
        f"<DELIVERY_PRICE>{xml_text(price)}</DELIVERY_PRICE>"
        + (f"<DELIVERY_PRICE_COD>{xml_text(cod)}</DELIVERY_PRICE_COD>" if cod else "")
        + "</DELIVERY>"
        for carrier, price, cod in shop.delivery
    )


@dataclass(frozen=True)
class ShopItemXml:
    """Heureka and Zboží.cz: the same SHOP/SHOPITEM shape; Zboží adds its namespace and wants
    the description as text, Heureka takes it as CDATA."""

    name: str
    file_name: str
    namespace: str | None
    description_as_cdata: bool
    media_type: str = "application/xml; charset=utf-8"

    def header(self, shop: FeedShop) -> str:
        ns = f' xmlns="{self.namespace}"' if self.namespace else ""
        return f'<?xml version="1.0" encoding="utf-8"?>\n<SHOP{ns}>\n'

    def footer(self) -> str:
        return "</SHOP>\n"

    def write_batch(self, out: TextSink, items: Sequence[FeedItem], shop: FeedShop) -> int:
        # two passes over the batch: collect the listable items' text, escape all of it at once
        # (`xml_texts` on the whole batch: a few C-level passes instead of a dozen per item),
        # then format each item from its escaped values
        delivery = _delivery_xml(shop)
        late = str(shop.out_of_stock_days)
        as_cdata = self.description_as_cdata
        listed: list[FeedItem] = []
        texts: list[str] = []
        for item in items:
            code, group, name, desc, url, image, _, _, _, _, brand, cat, slug_of = item
            link = url or page_url(url, slug_of, shop)
            if link is None or not image:
                continue
            listed.append(item)
            texts += (name, "" if as_cdata else (desc or name), link, image, brand or "", cat or "")
        escaped = iter(escape_all(texts))
        parts: list[str] = []
        last_text: str | None = None
        last_cdata = ""
        last_group: str | None = None
        last_group_id = ""
        for (code, group, name, desc, _, _, price, _, in_stock, ean, brand, _, _), (
            x_name, x_text, x_link, x_image, x_brand, x_cat,
        ) in zip(listed, zip(escaped, escaped, escaped, escaped, escaped, escaped, strict=True), strict=True):  # fmt: skip
            if as_cdata:
                text = desc or name
                if text is not last_text:  # a product's variants share their description
                    last_text, last_cdata = text, cdata(text)
                x_text = last_cdata
            if group and group != last_group:
                last_group, last_group_id = group, marketplace_id(group)
            parts.append(
                f"<SHOPITEM><ITEM_ID>{marketplace_id(code)}</ITEM_ID>"
                f"<PRODUCTNAME>{x_name}</PRODUCTNAME><PRODUCT>{x_name}</PRODUCT>"
                f"<DESCRIPTION>{x_text}</DESCRIPTION>"
                f"<URL>{x_link}</URL><IMGURL>{x_image}</IMGURL><PRICE_VAT>{price}</PRICE_VAT>"
                + (f"<MANUFACTURER>{x_brand}</MANUFACTURER>" if brand else "")
                + f"<CATEGORYTEXT>{x_cat}</CATEGORYTEXT>"
                + (f"<EAN>{ean}</EAN>" if ean and _EAN.match(ean) else "")
                + f"<DELIVERY_DATE>{'0' if in_stock else late}</DELIVERY_DATE>"
                + delivery
                + (f"<ITEMGROUP_ID>{last_group_id}</ITEMGROUP_ID>" if group else "")
                + "</SHOPITEM>\n"
            )
        out.write("".join(parts))
        return len(items) - len(listed)


@dataclass(frozen=True)
class GoogleRss:
    """Google Merchant Center product data in RSS 2.0; Meta's catalog reads the same feed."""

    name: str = "google"
    file_name: str = "google.xml"
    media_type: str = "application/rss+xml; charset=utf-8"

    def header(self, shop: FeedShop) -> str:
        return (
            f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xmlns:g="{GOOGLE_NS}">'
            f"<channel><title>{xml_text(shop.name)}</title>"
            f"<link>{xml_text(shop.url or '')}</link>"
            f"<description>{xml_text(shop.name)}</description>\n"
        )

    def footer(self) -> str:
        return "</channel></rss>\n"

    def write_batch(self, out: TextSink, items: Sequence[FeedItem], shop: FeedShop) -> int:
        # as ShopItemXml: the batch's text escaped at once, then each item formatted
        listed: list[FeedItem] = []
        texts: list[str] = []
        for item in items:
            code, group, name, desc, url, image, _, _, _, _, brand, cat, slug_of = item
            link = url or page_url(url, slug_of, shop)
            if link is None or not image:
                continue
            listed.append(item)
            texts += (
                code, name[:GOOGLE_TITLE_MAX], (desc or name)[:GOOGLE_DESCRIPTION_MAX], link,
                image, group or "", brand or "", cat or "",
            )  # fmt: skip
        escaped = iter(escape_all(texts))
        parts: list[str] = []
        e = escaped
        for (_, group, _, _, _, _, price, cur, in_stock, ean, brand, cat, _), (
            x_code, x_title, x_text, x_link, x_image, x_group, x_brand, x_cat,
        ) in zip(listed, zip(e, e, e, e, e, e, e, e, strict=True), strict=True):  # fmt: skip
            parts.append(
                f"<item><g:id>{x_code}</g:id><g:title>{x_title}</g:title>"
                f"<g:description>{x_text}</g:description><g:link>{x_link}</g:link>"
                f"<g:image_link>{x_image}</g:image_link>"
                f"<g:availability>{'in_stock' if in_stock else 'out_of_stock'}</g:availability>"
                f"<g:price>{price} {cur}</g:price><g:condition>new</g:condition>"
                + (f"<g:item_group_id>{x_group}</g:item_group_id>" if group else "")
                + (f"<g:brand>{x_brand}</g:brand>" if brand else "")
                # no manufacturer part numbers in the catalog: a GTIN, or say there is none
                + (
                    f"<g:gtin>{ean}</g:gtin>"
                    if ean and _EAN.match(ean)
                    else "<g:identifier_exists>no</g:identifier_exists>"
                )
                + (f"<g:product_type>{x_cat}</g:product_type>" if cat else "")
                + "</item>\n"
            )
        out.write("".join(parts))
        return len(items) - len(listed)


IDEALO_COLUMNS = (
    "sku", "title", "brand", "categoryPath", "url", "price", "deliveryTime", "eans",
    "imageUrls", "description",
)  # fmt: skip


@dataclass(frozen=True)
class IdealoCsv:
    """idealo's CSV offer feed: a header row, then one offer per line; one `deliveryCosts_<id>`
    column per carrier the shop configured."""

    name: str = "idealo"
    file_name: str = "idealo.csv"
    media_type: str = "text/csv; charset=utf-8"

    def columns(self, shop: FeedShop) -> list[str]:
        return [*IDEALO_COLUMNS, *(f"deliveryCosts_{c.lower()}" for c, _, _ in shop.delivery)]

    def header(self, shop: FeedShop) -> str:
        return ",".join(self.columns(shop)) + "\r\n"

    def footer(self) -> str:
        return ""

    def write_batch(self, out: TextSink, items: Sequence[FeedItem], shop: FeedShop) -> int:
        writer = csv.writer(out)
        costs = [price for _, price, _ in shop.delivery]
        late = f"{shop.out_of_stock_days} days"
        rows: list[list[str]] = []
        skipped = 0
        for code, _, name, desc, url, image, price, _, in_stock, ean, brand, cat, slug_of in items:
            link = url or page_url(url, slug_of, shop)
            if link is None:
                skipped += 1
                continue
            rows.append(
                [
                    code, name, brand or "", cat or "", link, price,
                    "1-2 days" if in_stock else late, ean or "", image or "",
                    desc or name, *costs,
                ]
            )  # fmt: skip
        writer.writerows(rows)
        return skipped


FORMATS: dict[str, FeedFormat] = {
    f.name: f
    for f in (
        ShopItemXml("heureka", "heureka.xml", None, description_as_cdata=True),
        ShopItemXml("zbozi", "zbozi.xml", ZBOZI_NS, description_as_cdata=False),
        GoogleRss(),
        IdealoCsv(),
    )
}
