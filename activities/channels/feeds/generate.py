"""The feeds activity: read the shop's feed settings, stream its catalog into every format,
record what was written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from temporalio import activity

from activities.channels.feeds.files import write_feeds
from activities.channels.feeds.items import FeedShop, stream_items
from db.config import get_settings
from db.engine import libpq_url
from workflows.feeds import FeedsResult, FormatWritten, GenerateFeeds


def feeds_dir(shop_id: int) -> Path:
    """Where a shop's feed files live (the API serves them from here too)."""
    return get_settings().data_dir / "feeds" / str(shop_id)


def load_feed_shop(conn: psycopg.Connection[Any], shop_id: int) -> FeedShop | None:
    """The shop as its feeds describe it, or None when it has no enabled feeds."""
    row = conn.execute(
        "SELECT s.name, s.url, f.delivery, f.out_of_stock_days FROM shops s "
        "JOIN shop_feeds f ON f.shop_id = s.id WHERE s.id = %s AND f.enabled",
        (shop_id,),
    ).fetchone()
    if row is None:
        return None
    name, url, delivery, late = row
    carriers = tuple(
        (str(d["id"]), str(d["price"]), str(d["price_cod"]) if d.get("price_cod") else None)
        for d in delivery
    )
    return FeedShop(shop_id, name, url, carriers, late)


@activity.defn
def generate_feeds(req: GenerateFeeds) -> FeedsResult:
    """Idempotent: a retry writes the same files again from the catalog as it is then."""
    with psycopg.connect(libpq_url()) as conn:
        shop = load_feed_shop(conn, req.shop_id)
        if shop is None:
            return FeedsResult(req.shop_id, "disabled")
        seen = 0

        def progress(items: int) -> None:
            nonlocal seen
            seen = items
            activity.heartbeat(items)

        written = write_feeds(
            stream_items(conn, req.shop_id),
            shop,
            feeds_dir(req.shop_id),
            req.formats,
            gzip_level=get_settings().feeds_gzip_level,
            on_batch=progress,
        )
        conn.commit()  # ends the cursor's transaction
        conn.execute(
            "UPDATE shop_feeds SET generated_at = %s, items = items || %s WHERE shop_id = %s",
            (req.at, Jsonb({w.format: w.items for w in written}), req.shop_id),
        )
        conn.commit()
    return FeedsResult(
        req.shop_id,
        "completed",
        seen,
        [FormatWritten(w.format, w.items, w.skipped, w.bytes) for w in written],
    )


ACTIVITIES = [generate_feeds]
