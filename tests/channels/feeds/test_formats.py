"""Every feed format written from hostile catalog text: well-formed, valid against the
marketplace's schema (Heureka, Zboží.cz XSDs; Google's and idealo's required fields in code),
and carrying Czech letters, `&`, `<`, `]]>` and control characters correctly."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import pytest
from lxml import etree

from activities.channels.feeds.files import write_feeds
from activities.channels.feeds.formats import GOOGLE_NS, ZBOZI_NS, marketplace_id
from activities.channels.feeds.items import FeedItem, FeedShop

SCHEMAS = Path(__file__).resolve().parent / "schemas"
G = f"{{{GOOGLE_NS}}}"
SHOP = FeedShop(
    7,
    "Žluťoučký obchod & spol.",
    "https://www.zlutoucky.example.cz/",
    (("PPL", "89.00", "119.00"), ("ZASILKOVNA", "69.00", None)),
    out_of_stock_days=10,
)
NASTY_NAME = "Příliš žluťoučký kůň & <úpěl> ďábelské ódy"
NASTY_TEXT = "Popis s ]]> uvnitř, & ampersand, <tag>, \x07zvonek\x0b a “uvozovky” — čšř."


def item(code: str, **changes: object) -> FeedItem:
    base = FeedItem(
        item_id=code,
        group_id=None,
        name="Triko",
        description="Bavlněné triko.",
        url="https://www.zlutoucky.example.cz/triko/",
        image_url="https://cdn.example.cz/triko.jpg?w=800&h=600",
        price="499.00",
        currency="CZK",
        in_stock=True,
        ean="8590000000017",
        brand="Žluťák",
        category="Oblečení | Trička",
        slug_source="Triko",
    )
    return base._replace(**changes)


ITEMS = [
    item("T-1"),
    item(
        "T-2/XL",
        group_id="0b8e7a1c-1f2e-4c5d-9e8f-123456789abc",
        name=NASTY_NAME,
        description=NASTY_TEXT,
        in_stock=False,
        ean="bad-ean",
        brand=None,
    ),
    item(
        "T-3",
        group_id="0b8e7a1c-1f2e-4c5d-9e8f-123456789abc",
        url=None,
        slug_source="Šťastná čepice & šála",
        category=None,
        description=None,
    ),
    item("NO-IMG", image_url=None),
]


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    directory = tmp_path_factory.mktemp("feeds")
    written = write_feeds(ITEMS, SHOP, directory, ["heureka", "zbozi", "google", "idealo"])
    assert {w.format: (w.items, w.skipped) for w in written} == {
        "heureka": (3, 1),  # Heureka, Zboží and Google require an image
        "zbozi": (3, 1),
        "google": (3, 1),
        "idealo": (4, 0),
    }
    return {
        name: gzip.decompress((directory / f"{file}.gz").read_bytes())
        for name, file in (
            ("heureka", "heureka.xml"),
            ("zbozi", "zbozi.xml"),
            ("google", "google.xml"),
            ("idealo", "idealo.csv"),
        )
    }


def schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


@pytest.mark.parametrize(
    ("fmt", "xsd", "ns"),
    [("heureka", "heureka.xsd", ""), ("zbozi", "zbozi.xsd", f"{{{ZBOZI_NS}}}")],
)
def test_shopitem_feeds_are_valid_against_their_schema(
    feeds: dict[str, bytes], fmt: str, xsd: str, ns: str
) -> None:
    doc = etree.fromstring(feeds[fmt])  # well-formed, or this raises
    validator = schema(xsd)
    assert validator.validate(doc), validator.error_log
    items = doc.findall(f"{ns}SHOPITEM")
    assert len(items) == 3
    required = ("ITEM_ID", "PRODUCTNAME", "DESCRIPTION", "URL", "IMGURL", "PRICE_VAT", "DELIVERY_DATE", "CATEGORYTEXT")  # fmt: skip
    for shop_item in items:
        for tag in required:
            assert shop_item.find(f"{ns}{tag}") is not None, (fmt, tag)
    first, second, third = items
    assert second.findtext(f"{ns}PRODUCTNAME") == NASTY_NAME
    # the control characters are dropped, everything else arrives as written
    assert second.findtext(f"{ns}DESCRIPTION") == NASTY_TEXT.replace("\x07", "").replace("\x0b", "")
    assert second.findtext(f"{ns}ITEM_ID") == "T-2_XL"  # '/' is outside Heureka's ITEM_ID set
    assert second.findtext(f"{ns}ITEMGROUP_ID") == third.findtext(f"{ns}ITEMGROUP_ID")
    assert first.find(f"{ns}ITEMGROUP_ID") is None  # not a variant of a bigger product
    assert (
        second.findtext(f"{ns}DELIVERY_DATE") == "10"
        and first.findtext(f"{ns}DELIVERY_DATE") == "0"
    )
    assert second.find(f"{ns}EAN") is None  # an invalid EAN is left out, not sent
    deliveries = first.findall(f"{ns}DELIVERY")
    assert [d.findtext(f"{ns}DELIVERY_ID") for d in deliveries] == ["PPL", "ZASILKOVNA"]
    assert deliveries[0].findtext(f"{ns}DELIVERY_PRICE_COD") == "119.00"
    assert first.findtext(f"{ns}IMGURL") == "https://cdn.example.cz/triko.jpg?w=800&h=600"
    # no URL in the catalog: the shop's address and the product's URL name
    assert third.findtext(f"{ns}URL") == "https://www.zlutoucky.example.cz/stastna-cepice-sala/"
    assert third.findtext(f"{ns}DESCRIPTION") == "Triko"  # no description: the name


def test_heureka_description_is_cdata_and_zbozi_is_escaped_text(feeds: dict[str, bytes]) -> None:
    heureka, zbozi = feeds["heureka"].decode(), feeds["zbozi"].decode()
    # `]]>` cannot sit in one CDATA section: it is split across two
    assert "<DESCRIPTION><![CDATA[Popis s ]]]]><![CDATA[> uvnitř, & ampersand, <tag>," in heureka
    assert "Popis s ]]&gt; uvnitř, &amp; ampersand, &lt;tag&gt;," in zbozi
    assert "&amp;h=600" in heureka and "Žluťák" in heureka  # UTF-8 as is, no entities for letters
    assert heureka.startswith('<?xml version="1.0" encoding="utf-8"?>')
    assert f'<SHOP xmlns="{ZBOZI_NS}">' in zbozi


def test_xsd_rejects_a_feed_missing_a_required_field() -> None:
    """The schema is not a rubber stamp: drop PRICE_VAT and it fails."""
    doc = etree.fromstring(
        b"<SHOP><SHOPITEM><ITEM_ID>A</ITEM_ID><PRODUCTNAME>x</PRODUCTNAME><DESCRIPTION>d"
        b"</DESCRIPTION><URL>https://e.cz/a</URL><IMGURL>https://e.cz/a.jpg</IMGURL>"
        b"<CATEGORYTEXT>c</CATEGORYTEXT><DELIVERY_DATE>0</DELIVERY_DATE></SHOPITEM></SHOP>"
    )
    assert not schema("heureka.xsd").validate(doc)


GOOGLE_REQUIRED = ("id", "title", "description", "link", "image_link", "availability", "price", "condition")  # fmt: skip


def test_google_feed_is_rss_with_the_required_g_fields(feeds: dict[str, bytes]) -> None:
    rss = etree.fromstring(feeds["google"])
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    assert rss.nsmap.get("g") == GOOGLE_NS
    channel = rss.find("channel")
    assert channel is not None
    assert channel.findtext("title") == SHOP.name and channel.findtext("link") == SHOP.url
    items = channel.findall("item")
    assert len(items) == 3
    for entry in items:
        for tag in GOOGLE_REQUIRED:
            assert (entry.findtext(f"{G}{tag}") or "").strip(), tag
        assert entry.findtext(f"{G}availability") in {
            "in_stock",
            "out_of_stock",
            "preorder",
            "backorder",
        }
        price = entry.findtext(f"{G}price") or ""
        amount, currency = price.split(" ")
        assert float(amount) >= 0 and len(currency) == 3 and currency.isupper()
        # a product without a GTIN says so (Google's rule for new products)
        assert entry.find(f"{G}gtin") is not None or entry.findtext(f"{G}identifier_exists") == "no"
    assert items[1].findtext(f"{G}title") == NASTY_NAME
    assert items[1].findtext(f"{G}item_group_id") == items[2].findtext(f"{G}item_group_id")
    assert items[0].findtext(f"{G}brand") == "Žluťák"


def test_idealo_csv_has_the_header_and_required_columns(feeds: dict[str, bytes]) -> None:
    rows = list(csv.DictReader(io.StringIO(feeds["idealo"].decode("utf-8"), newline="")))
    assert rows and set(rows[0]) >= {"sku", "title", "price", "url", "deliveryTime", "brand", "categoryPath", "eans", "imageUrls"}  # fmt: skip
    assert {"deliveryCosts_ppl", "deliveryCosts_zasilkovna"} <= set(rows[0])
    for row in rows:
        for column in ("sku", "title", "price", "url", "deliveryTime"):
            assert row[column], column
    by_sku = {r["sku"]: r for r in rows}
    assert by_sku["T-2/XL"]["title"] == NASTY_NAME  # CSV carries the code as is
    assert by_sku["T-2/XL"]["deliveryTime"] == "10 days"
    assert by_sku["T-1"]["deliveryCosts_ppl"] == "89.00"


def test_marketplace_ids_stay_within_the_allowed_set() -> None:
    assert marketplace_id("ABC-12_x") == "ABC-12_x"
    assert marketplace_id("AB/12 č") == "AB_12__"
    long = marketplace_id("x" * 30 + "/" * 10)
    assert len(long) == 36 and long == marketplace_id("x" * 30 + "/" * 10)
