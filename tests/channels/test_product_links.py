"""Feeds need each product's page and image: the products snapshot and sync ask Shoptet for
`images` and keep `url` and the main image's full URL (the `big` cut under the e-shop's
address) in `products.url` / `products.image_url`."""

from __future__ import annotations

from typing import Any

from activities.snapshots.ingest.documents import product_rows
from activities.snapshots.ingest.tables import PRODUCTS
from activities.snapshots.pipeline import SNAPSHOT_INCLUDES
from infra.sandbox.generator import ShopSpec, product_detail

SPEC = ShopSpec(eshop_id=11, orders=10, products=5, customers=5)


def product_row(doc: Any) -> dict[str, str]:
    [row] = [values for table, values in product_rows(doc, 1) if table is PRODUCTS]
    return dict(zip(PRODUCTS.columns, row, strict=True))


def test_snapshot_asks_for_images() -> None:
    assert "images" in SNAPSHOT_INCLUDES["products"].split(",")


def test_sandbox_product_with_images_lands_with_url_and_image() -> None:
    doc = product_detail(SPEC, 2, frozenset({"images", "perstockamounts"}))
    row = product_row(doc)
    assert row["url"] == doc["url"] and row["url"].startswith("https://")
    seo = doc["images"][0]["seoName"]
    origin = "/".join(doc["url"].split("/")[:3])
    assert row["image_url"] == f"{origin}/user/shop/big/{seo}"


def test_lowest_priority_image_wins_and_names_are_quoted() -> None:
    doc = product_detail(SPEC, 1, frozenset())
    doc["url"] = "https://www.example.cz/triko/"
    doc["images"] = [
        {"name": "2.jpg", "seoName": "2_druhy.jpg", "priority": 2},
        {"name": "1.jpg", "seoName": "1_žluté triko.jpg", "priority": 1},
    ]
    assert product_row(doc)["image_url"] == (
        "https://www.example.cz/user/shop/big/1_%C5%BElut%C3%A9%20triko.jpg"
    )


def test_main_image_is_used_without_the_images_include() -> None:
    doc = product_detail(SPEC, 1, frozenset())
    doc["url"] = "https://www.example.cz/triko/"
    doc["mainImage"] = {"name": "7.png", "seoName": None}
    assert product_row(doc)["image_url"] == "https://www.example.cz/user/shop/big/7.png"


def test_bad_urls_are_left_empty_not_rejected() -> None:
    doc = product_detail(SPEC, 1, frozenset({"images"}))
    doc["url"] = "javascript:alert(1)"
    row = product_row(doc)
    assert row["url"] == "\\N" and row["image_url"] == "\\N"  # COPY's NULL
    doc["url"] = None
    assert product_row(doc)["url"] == "\\N"
