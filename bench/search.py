"""Search latency over a million products, and what keeping search current costs the ingest.

    python -m bench.search --products 1000000

Seeds a scratch database with COPY: products (with variants and a description), customers and
orders of one shop. First the ingest cost: batches of products and of orders are COPYed the way
the loader does, then their search documents refreshed as the loader does after each batch;
the slowdown is (COPY + refresh) / COPY. The rest of the products are COPYed and indexed in
bulk (the backfill). Then a realistic mix of queries — prefixes while typing, typos, SKUs
(whole and partial), EANs, e-mails, names without diacritics, and queries that find nothing —
runs through the API's search service (hits + facets); the baseline is a plain primary-key
lookup of a product through the same session. The last line is
`p50_ms=<a> p95_ms=<b> ratio=<p95 / p95 of the btree lookup>`.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import statistics
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg

from bench.common import BENCH_SHOP, peak_rss_mb, scratch_database

SHOP = 1
ADJECTIVES = ["Žluťoučký", "Dřevěný", "Skleněný", "Hliníkový", "Bavlněný", "Kožený", "Dětský",
              "Zahradní", "Kuchyňský", "Koupelnový", "Kancelářský", "Sportovní", "Zimní",
              "Letní", "Voděodolný", "Ruční", "Elektrický", "Přenosný", "Skládací", "Úsporný"]
NOUNS = ["kůň", "stůl", "hrnek", "talíř", "nůž", "batoh", "kabát", "svetr", "polštář", "deka",
         "lampa", "židle", "koš", "kbelík", "šroubovák", "vrtačka", "kolo", "stan", "spacák",
         "čajník", "konvice", "pánev", "hrnec", "sklenice", "váza", "obraz", "rámeček", "hodiny",
         "budík", "ručník", "župan", "tričko", "mikina", "čepice", "rukavice", "šála", "boty",
         "pantofle", "ponožky", "kalhoty"]
COLOURS = ["červený", "modrý", "zelený", "černý", "bílý", "šedý", "růžový", "fialový",
           "oranžový", "hnědý", "béžový", "tyrkysový"]
BRANDS = ["Alfa", "Bohemia", "Cerna Hora", "Drevo", "Elko", "Fiala", "Granit", "Hvezda",
          "Iskra", "Jablko", "Koruna", "Lipa", "Morava", "Narcis", "Orel", "Praha", "Rybka",
          "Sokol", "Tatra", "Ural"]
CATEGORIES = ["Domov", "Kuchyně", "Zahrada", "Oblečení", "Děti", "Sport", "Nářadí", "Dekorace",
              "Koupelna", "Kancelář"]
FIRST = ["Jana", "Petr", "Eva", "Tomáš", "Lucie", "Jiří", "Markéta", "Ondřej", "Kateřina",
         "Vojtěch", "Zuzana", "Matěj", "Tereza", "Lukáš", "Barbora"]
LAST = ["Nováková", "Svoboda", "Dvořáková", "Černý", "Procházka", "Kučerová", "Veselý",
        "Horáková", "Němec", "Pokorná", "Marek", "Růžičková", "Král", "Benešová", "Fiala"]
CITIES = ["Praha", "Brno", "Ostrava", "Plzeň", "Olomouc", "Liberec", "České Budějovice"]
DOMAINS = ["seznam.cz", "email.cz", "gmail.com", "centrum.cz", "volny.cz"]


def log(message: str) -> None:
    print(message, flush=True)


def fold(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def tsv(*values: object) -> str:
    return "\t".join("\\N" if v is None else str(v).replace("\t", " ") for v in values) + "\n"


def product_rows(first: int, count: int, rng: random.Random) -> tuple[str, str, str, list[str]]:
    products, variants, texts, refs = io.StringIO(), io.StringIO(), io.StringIO(), []
    for i in range(first, first + count):
        guid = str(uuid.UUID(int=i + 1))
        brand = BRANDS[i % len(BRANDS)]
        name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {rng.choice(COLOURS)} {i % 997}"
        products.write(tsv(SHOP, guid, name, "product", "visible", brand, rng.choice(CATEGORIES)))
        variants.write(tsv(SHOP, sku(i), guid, ean(i), name, rng.randint(49, 20000)))
        texts.write(tsv(SHOP, guid, "cs", name, f"<p>{name}: {rng.choice(ADJECTIVES).lower()} "
                        f"{rng.choice(NOUNS)} pro {rng.choice(CATEGORIES).lower()}, "
                        f"značka {brand}, {rng.choice(COLOURS)} provedení.</p>"))
        refs.append(guid)
    return products.getvalue(), variants.getvalue(), texts.getvalue(), refs


def sku(i: int) -> str:
    return f"{BRANDS[i % len(BRANDS)][:3].upper()}-{i:07d}"


def ean(i: int) -> str:
    return f"859{i:010d}"


def person(i: int) -> tuple[str, str, str]:
    first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
    email = f"{fold(first).lower()}.{fold(last).lower()}.{i}@{DOMAINS[i % len(DOMAINS)]}"
    return f"{first} {last}", email, f"+420{600000000 + i}"


def order_rows(first: int, count: int) -> tuple[str, list[str]]:
    out, refs = io.StringIO(), []
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for i in range(first, first + count):
        name, email, phone = person(i)
        code = f"2025{i:06d}"
        created = start + timedelta(minutes=5 * i)
        out.write(tsv(SHOP, code, created.isoformat(), "Vyřízena", email, phone, name,
                      CITIES[i % len(CITIES)], 100 + i % 5000))
        refs.append(code)
    return out.getvalue(), refs


def customer_rows(count: int) -> str:
    out = io.StringIO()
    for i in range(count):
        name, email, phone = person(i)
        out.write(tsv(SHOP, str(uuid.UUID(int=10**9 + i)), email, phone, name,
                      "Fiala s.r.o." if i % 5 == 0 else None, CITIES[i % len(CITIES)]))
    return out.getvalue()


def copy(cur: psycopg.Cursor[tuple[object, ...]], table: str, columns: str, data: str) -> None:
    with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as sink:  # type: ignore[arg-type]
        sink.write(data)


PRODUCT_COPY = (
    ("products", "shop_id, guid, name, type, visibility, brand, default_category"),
    ("variants", "shop_id, code, product_guid, ean, name, price_with_vat"),
    ("product_translations", "shop_id, product_guid, locale, name, description"),
)
ORDER_COLUMNS = "shop_id, code, created_at, status_name, email, phone, billing_name, billing_city, total_with_vat"


async def refresh(url: str, resource: str, refs: list[str]) -> None:
    from db.search import sources

    async with await psycopg.AsyncConnection.connect(url) as conn, conn.cursor() as cur:
        await sources.refresh(cur, SHOP, resource, refs)


def ingest_cost(url: str, rng: random.Random, products: int, orders: int, batch: int) -> dict[str, float]:
    """COPY seconds and refresh seconds of the first batches of products and orders."""
    copy_s = {"products": 0.0, "orders": 0.0}
    index_s = {"products": 0.0, "orders": 0.0}
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for first in range(0, products, batch):
            *data, refs = product_rows(first, min(batch, products - first), rng)
            started = time.perf_counter()
            for (table, columns), rows in zip(PRODUCT_COPY, data, strict=True):
                copy(cur, table, columns, rows)
            conn.commit()
            copy_s["products"] += time.perf_counter() - started
            started = time.perf_counter()
            asyncio.run(refresh(url, "products", refs))
            index_s["products"] += time.perf_counter() - started
        for first in range(0, orders, batch):
            rows, refs = order_rows(first, min(batch, orders - first))
            started = time.perf_counter()
            copy(cur, "orders", ORDER_COLUMNS, rows)
            conn.commit()
            copy_s["orders"] += time.perf_counter() - started
            started = time.perf_counter()
            asyncio.run(refresh(url, "orders", refs))
            index_s["orders"] += time.perf_counter() - started
    return {
        f"{r}_slowdown": (copy_s[r] + index_s[r]) / copy_s[r] for r in copy_s
    } | {f"{r}_copy_s": copy_s[r] for r in copy_s} | {f"{r}_index_s": index_s[r] for r in index_s}


def seed_rest(url: str, rng: random.Random, first: int, products: int, orders_from: int, orders: int, customers: int) -> float:
    """COPY the remaining rows, then index everything not yet indexed in bulk; returns the
    backfill's seconds (indexes dropped and rebuilt, as a first indexing would)."""
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for start in range(first, products, 100_000):
            *data, _ = product_rows(start, min(100_000, products - start), rng)
            for (table, columns), rows in zip(PRODUCT_COPY, data, strict=True):
                copy(cur, table, columns, rows)
            conn.commit()
            log(f"seeded products={min(start + 100_000, products)}")
        if orders > orders_from:
            copy(cur, "orders", ORDER_COLUMNS, order_rows(orders_from, orders - orders_from)[0])
        copy(cur, "customers", "shop_id, guid, email, phone, full_name, company, city", customer_rows(customers))
        conn.commit()
        started = time.perf_counter()
        cur.execute("DELETE FROM search_documents")
        # every search index but the primary key, dropped now and rebuilt after the backfill
        indexes = cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'search_documents' "
            "AND indexname <> 'search_documents_pkey'"
        ).fetchall()
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"'.encode())
        cur.execute("SET maintenance_work_mem = '256MB'")
        conn.commit()

    async def backfill_all() -> None:
        from db.search import sources

        async with await psycopg.AsyncConnection.connect(url) as aconn, aconn.cursor() as acur:
            for resource in ("products", "orders", "customers"):
                await sources.backfill(acur, SHOP, resource)

    asyncio.run(backfill_all())
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            conn.execute(definition.encode())
        conn.execute("VACUUM ANALYZE search_documents")
        conn.execute("ANALYZE products")
    return time.perf_counter() - started


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1:] if rng.random() < 0.5 else word[:i] + word[i + 1] + word[i] + word[i + 2:]


def query_mix(n: int, products: int, orders: int, customers: int, rng: random.Random) -> Iterator[tuple[str, str]]:
    """(category, query) pairs in a typing-heavy proportion."""
    kinds = ["prefix"] * 25 + ["typo"] * 15 + ["sku"] * 15 + ["ean"] * 5 + ["email"] * 15 + ["name"] * 10 + ["order"] * 5 + ["none"] * 10
    for _ in range(n):
        kind = rng.choice(kinds)
        if kind == "prefix":
            word = fold(rng.choice(NOUNS + ADJECTIVES)).lower()
            text = word[: rng.randint(3, len(word))]
            if rng.random() < 0.4:
                text = f"{fold(rng.choice(ADJECTIVES)).lower()} {text}"
        elif kind == "typo":
            text = f"{typo(fold(rng.choice(ADJECTIVES)).lower(), rng)} {fold(rng.choice(NOUNS)).lower()}"
        elif kind == "sku":
            code = sku(rng.randrange(products))
            text = code if rng.random() < 0.5 else code[: rng.randint(6, len(code) - 1)]
        elif kind == "ean":
            text = ean(rng.randrange(products))
        elif kind == "email":
            email = person(rng.randrange(customers))[1]
            text = email if rng.random() < 0.6 else email.split("@")[0]
        elif kind == "name":
            text = fold(person(rng.randrange(customers))[0]).lower()
        elif kind == "order":
            text = f"2025{rng.randrange(orders):06d}"
        else:
            text = "".join(rng.choice("qxzwvj") for _ in range(rng.randint(5, 9)))
        yield kind, text


async def measure(queries: list[tuple[str, str]], products: int, rng: random.Random) -> tuple[list[float], list[float], dict[str, float]]:
    from sqlalchemy import text

    from api.services.search import search
    from db.engine import dispose_engines, session_factory

    timings, baseline, by_kind = [], [], {}
    per_kind: dict[str, list[float]] = {}
    async with session_factory()() as session:
        for _, q in queries[:20]:  # warm the connection and the caches of the plan
            await search(session, q, [SHOP])
        for kind, q in queries:
            started = time.perf_counter()
            await search(session, q, [SHOP])
            ms = (time.perf_counter() - started) * 1000
            timings.append(ms)
            per_kind.setdefault(kind, []).append(ms)
        lookup = text("SELECT guid, name, brand FROM products WHERE shop_id = :shop AND guid = :guid")
        for _ in range(len(queries)):
            guid = uuid.UUID(int=rng.randrange(products) + 1)
            started = time.perf_counter()
            (await session.execute(lookup, {"shop": SHOP, "guid": guid})).all()
            baseline.append((time.perf_counter() - started) * 1000)
    await dispose_engines()
    for kind, values in per_kind.items():
        by_kind[kind] = percentile(values, 95)
    return timings, baseline, by_kind


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--ingest-batches", type=int, default=5, help="batches timed for the ingest cost")
    parser.add_argument("--batch", type=int, default=10_000, help="rows per ingest batch")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument(
        "--database", help="measure the queries only, on a database this bench seeded before "
        "(libpq URL, migrated to head; --products/--orders/--customers as it was seeded with)",
    )
    parser.add_argument("--keep", action="store_true",
                        help="keep the seeded database (its URL is printed) to re-run the queries with --database")
    args = parser.parse_args(argv)
    rng = random.Random(20)
    if args.database:
        import os

        os.environ["DATABASE_URL"] = args.database.replace("postgresql://", "postgresql+psycopg://")
        os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
        report(args, rng)
        return
    with scratch_database("bench_search", args.keep) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(BENCH_SHOP)
        measured = min(args.products, args.ingest_batches * args.batch)
        measured_orders = min(args.orders, args.ingest_batches * args.batch)
        cost = ingest_cost(url, rng, measured, measured_orders, args.batch)
        log(
            f"ingest_cost products: copy_s={cost['products_copy_s']:.2f} index_s={cost['products_index_s']:.2f} "
            f"slowdown={cost['products_slowdown']:.2f}x over {measured} rows; orders: copy_s={cost['orders_copy_s']:.2f} "
            f"index_s={cost['orders_index_s']:.2f} slowdown={cost['orders_slowdown']:.2f}x over {measured_orders} rows"
        )
        backfill_s = seed_rest(url, rng, measured, args.products, measured_orders, args.orders, args.customers)
        docs = args.products + args.orders + args.customers
        log(f"backfill_s={backfill_s:.1f} documents={docs} ({docs / backfill_s:.0f}/s, indexes rebuilt)")
        report(args, rng)


def report(args: argparse.Namespace, rng: random.Random) -> None:
    """Run the query mix and print the figures; the last line is the bench's result."""
    import os

    queries = list(query_mix(args.queries, args.products, args.orders, args.customers, rng))
    log(f"load average before the queries: {os.getloadavg()[0]:.1f}")
    timings, baseline, by_kind = asyncio.run(measure(queries, args.products, rng))
    log("p95_ms by query kind: " + " ".join(f"{k}={v:.1f}" for k, v in sorted(by_kind.items())))
    base95 = percentile(baseline, 95)
    log(f"baseline btree lookup p50_ms={percentile(baseline, 50):.2f} p95_ms={base95:.2f}; "
        f"peak_rss_mb={peak_rss_mb():.0f}; load average after: {os.getloadavg()[0]:.1f}")
    p50, p95 = percentile(timings, 50), percentile(timings, 95)
    print(f"p50_ms={p50:.2f} p95_ms={p95:.2f} ratio={p95 / base95:.1f}", flush=True)


if __name__ == "__main__":
    main()
