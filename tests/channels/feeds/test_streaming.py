"""A big feed is written streaming: the writer holds one batch of items, never the feed, and
the catalog is streamed with COPY TO STDOUT (the 500 000-item figures are bench.feeds)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg

from activities.channels.feeds.files import write_feeds
from activities.channels.feeds.items import FETCH_ROWS, FeedItem, FeedShop, stream_items
from tests.channels.feeds.conftest import catalog_shop
from tests.support import MakeShop

SHOP = FeedShop(1, "Shop", "https://www.example.cz/")


def test_the_writer_holds_at_most_one_batch(tmp_path: Path) -> None:
    total = 3 * FETCH_ROWS + 7
    produced = 0
    written = 0
    most_held = 0

    def items() -> Iterator[FeedItem]:
        nonlocal produced, most_held
        for i in range(total):
            most_held = max(most_held, produced - written)
            produced += 1
            yield FeedItem(
                f"V{i}", None, f"Zboží {i} & spol.", None, None, f"https://cdn.example.cz/{i}.jpg",
                "10.00", "CZK", True, None, None, None, f"Zboží {i}",
            )  # fmt: skip

    def on_batch(seen: int) -> None:
        nonlocal written
        written = seen

    result = write_feeds(items(), SHOP, tmp_path, ["heureka", "google"], on_batch=on_batch)
    assert [w.items for w in result] == [total, total]
    assert produced == total
    assert most_held <= FETCH_ROWS  # items pulled but not yet written never exceed one batch


def test_the_catalog_is_streamed_with_copy(
    make_shop: MakeShop, pg: psycopg.Connection[Any]
) -> None:
    shop_id = catalog_shop(make_shop, pg, FETCH_ROWS * 20)
    with psycopg.connect(pg.info.dsn) as conn:
        pid = conn.info.backend_pid
        rows = stream_items(conn, shop_id)
        first = next(rows)
        assert first[0].startswith("V")  # plain tuples in FeedItem order (items.stream_items)
        # the rows stay in the database until read: the COPY is still running mid-stream
        # (asked on another connection; this one is busy with the COPY)
        pg.commit()
        [(state, query)] = pg.execute(
            "SELECT state, query FROM pg_stat_activity WHERE pid = %s", (pid,)
        ).fetchall()
        assert state == "active" and query.startswith("COPY"), (state, query[:40])
        rest = sum(1 for _ in rows)
        assert rest + 1 == FETCH_ROWS * 20
