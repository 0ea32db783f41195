"""Catalog feeds at scale: `python -m bench.feeds --items 500000`.

Seeds a shop of `--items` variants (two per product, Czech names with `&` and `<` in some)
with COPY into a scratch database, then writes each feed format in its own spawned process
(so each format's peak memory is its own) through the real path: the server-side cursor, the
format writer, gzip, the atomic rename. The baseline, measured in the same run, is COPY TO
STDOUT of the same query: the rate at which PostgreSQL can hand those rows to a client at all.

Per format: `<format> items=<n> seconds=<s> items_per_s=<x> vs_copy=<ratio> peak_rss_mb=<m>
bytes=<gz size> cpu_s=<writer process CPU> items_per_cpu_s=<x> load=<1-min load average>` (on a
shared machine the CPU figure says what the wall clock cannot). The last line is the slowest format's rate and the largest peak:
`items_per_s=<x> peak_rss_mb=<m>`.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

from bench.common import BENCH_SHOP, scratch_database, seed_in_child

WORDS = ("Triko", "Mikina", "Čepice", "Ponožky", "Šála", "Bunda", "Kšiltovka", "Rukavice")
COLOURS = ("černá", "bílá", "žlutá", "modrá", "růžová", "zelená")
CATEGORIES = ("Oblečení | Trička", "Oblečení | Mikiny", "Doplňky | Čepice & šály")


def seed_catalog(conn: psycopg.Connection[Any], shop_id: int, items: int, shop_url: str) -> None:
    """`items` variants of `items // 2 + 1` products, via COPY (not committed)."""
    products = (items + 1) // 2
    guids = [uuid.UUID(int=(shop_id << 64) + j + 1) for j in range(products)]
    with conn.cursor().copy(
        "COPY products (shop_id, guid, name, visibility, brand, default_category, url, image_url)"
        " FROM STDIN"
    ) as copy:
        for j, guid in enumerate(guids):
            name = f"{WORDS[j % len(WORDS)]} Šťastný kůň & spol. {j}"
            copy.write_row(
                (
                    shop_id, guid, name, "visible", "Žluťoučký & syn" if j % 3 else None,
                    CATEGORIES[j % len(CATEGORIES)], f"{shop_url}produkt-{j}/",
                    f"{shop_url}user/shop/big/{j}.jpg?a=1&b=2",
                )
            )  # fmt: skip
    with conn.cursor().copy(
        "COPY product_translations (shop_id, product_guid, locale, name, description) FROM STDIN"
    ) as copy:
        for j, guid in enumerate(guids):
            copy.write_row(
                (
                    shop_id, guid, "cs", f"produkt {j}",
                    f"<p>Příliš žluťoučký kůň úpěl ďábelské ódy &amp; víc: {j} < {j + 1}.</p>",
                )
            )  # fmt: skip
    with conn.cursor().copy(
        "COPY variants (shop_id, code, product_guid, ean, name, price_with_vat, currency,"
        " vat_rate, stock_total) FROM STDIN"
    ) as copy:
        for i in range(items):
            j = i // 2
            copy.write_row(
                (
                    shop_id, f"V{i:07d}", guids[j], f"{8590000000000 + i}" if i % 5 else None,
                    COLOURS[i % len(COLOURS)], f"{100 + i % 900}.{i % 100:02d}", "CZK", "21",
                    i % 7,
                )
            )  # fmt: skip


def _seed(url: str, items: int) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(BENCH_SHOP)
        conn.execute("UPDATE shops SET url = 'https://www.triko.example.cz/' WHERE id = 1")
        seed_catalog(conn, 1, items, "https://www.triko.example.cz/")
        conn.execute(
            "INSERT INTO shop_feeds (shop_id, token_hash, token, delivery) VALUES "
            '(1, \'bench\', \'bench\', \'[{"id": "PPL", "price": "89", "price_cod": "119"}]\')'
        )
        conn.commit()
        conn.execute("ANALYZE")


def _write_one(url: str, fmt: str, directory: str, out: Any) -> None:
    """In a spawned child: write one format; report (items, skipped, seconds, bytes, peak MB)."""
    from activities.channels.feeds.files import write_feeds
    from activities.channels.feeds.generate import load_feed_shop
    from activities.channels.feeds.items import stream_items

    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        shop = load_feed_shop(conn, 1)
        assert shop is not None
        [written] = write_feeds(stream_items(conn, 1), shop, Path(directory), [fmt])
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = usage.ru_maxrss / 1024
    cpu = usage.ru_utime + usage.ru_stime  # this process's CPU (all threads), imports included
    out.send((written.items, written.skipped, seconds, written.bytes, peak, cpu))


def _copy_baseline(url: str) -> tuple[float, int]:
    """Seconds and rows to COPY the feed query's rows to this client."""
    from activities.channels.feeds.items import ITEMS_SQL

    query = ITEMS_SQL.replace("%(shop)s", "1").replace("%(locale)s", "'cs'")
    started = time.perf_counter()
    rows = 0
    with psycopg.connect(url) as conn, conn.cursor().copy(f"COPY ({query}) TO STDOUT") as copy:
        for chunk in copy:
            rows += bytes(chunk).count(b"\n")
    return time.perf_counter() - started, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=500_000)
    parser.add_argument("--formats", default="heureka,zbozi,google,idealo")
    args = parser.parse_args()
    formats = args.formats.split(",")
    with scratch_database("bench_feeds") as url:
        seed_s = seed_in_child(_seed, url, args.items)
        print(f"seeded items={args.items} seconds={seed_s:.1f} (COPY)")
        copy_s, copy_rows = _copy_baseline(url)
        copy_rate = copy_rows / copy_s
        print(
            f"baseline copy_to_stdout rows={copy_rows} seconds={copy_s:.2f} rows_per_s={copy_rate:.0f}"
        )
        context = multiprocessing.get_context("spawn")
        rates: list[float] = []
        peaks: list[float] = []
        with tempfile.TemporaryDirectory(prefix="bench_feeds_") as directory:
            for fmt in formats:
                receive, send = context.Pipe(duplex=False)
                child = context.Process(target=_write_one, args=(url, fmt, directory, send))
                child.start()
                items, skipped, seconds, size, peak, cpu = receive.recv()
                child.join()
                read = items + skipped
                rate = read / seconds
                rates.append(rate)
                peaks.append(peak)
                print(
                    f"{fmt} items={items} skipped={skipped} seconds={seconds:.2f} "
                    f"items_per_s={rate:.0f} vs_copy={rate / copy_rate:.2f} "
                    f"peak_rss_mb={peak:.0f} bytes={size} gzip_level=6 cpu_s={cpu:.2f} "
                    f"items_per_cpu_s={read / cpu:.0f} load={os.getloadavg()[0]:.1f}"
                )
    print(f"load_avg={os.getloadavg()[0]:.2f}")
    print(f"items_per_s={min(rates):.0f} peak_rss_mb={max(peaks):.0f}")


if __name__ == "__main__":
    main()
