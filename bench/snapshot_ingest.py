"""Snapshot ingest throughput against raw COPY of the same rows into the same tables.

    python -m bench.snapshot_ingest --orders 100000 [--bad-share 0.01]

Steps, each in its own process so peak RSS is the step's own: generate the sandbox result
file (gzip JSON lines); baseline: COPY the same order and item rows (pre-rendered, untimed
rendering) into empty `orders`/`order_items`; then truncate and run the real `ingest_chunk`
activity (Temporal's ActivityEnvironment) over every chunk, as the workflow would.
`--bad-share` gives that share of the orders a PostgreSQL-hostile value (the sandbox's
`hostile_rate`: impossible dates, overflowing numerics, NUL in JSON...); the ingest must
quarantine exactly those and keep its rate; the baseline COPYs only the valid rows.
Last line: ratio=<ingest rows/s ÷ COPY rows/s> ingest_rows_per_s=<x> copy_rows_per_s=<y> peak_rss_mb=<m>
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ADMIN = os.environ.get("BENCH_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def _own_peak_mb() -> float:
    """This process's peak resident set (VmHWM: unlike ru_maxrss it does not inherit the
    parent's size across fork + exec, which matters for the parser process)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step_generate(path: str, orders: int, bad_share: float = 0.0) -> dict[str, float]:
    from infra.sandbox.generator import ShopSpec, write_snapshot_file

    spec = ShopSpec(eshop_id=990001, seed=11, orders=orders, products=max(200, orders // 50),
                    customers=max(500, orders // 3), mean_items=1.3)
    lines, size = write_snapshot_file(path, spec, "orders", hostile_rate=bad_share)
    return {"lines": lines, "bytes": size}


async def _setup_shop(conn: psycopg.AsyncConnection) -> tuple[int, int]:
    cur = await conn.execute(
        "INSERT INTO shops (eshop_id, name, status) VALUES (990001, 'bench', 'active') "
        "ON CONFLICT (eshop_id) DO UPDATE SET name = excluded.name RETURNING id"
    )
    shop_id = (await cur.fetchone())[0]
    cur = await conn.execute(
        "INSERT INTO snapshot_runs (shop_id, resource, workflow_id, status) VALUES (%s, 'orders', %s, 'completed') RETURNING id",
        (shop_id, f"bench-{secrets.token_hex(4)}"),
    )
    run_id = (await cur.fetchone())[0]
    await conn.commit()
    return shop_id, run_id


def step_copy(path: str) -> dict[str, float]:
    """Render rows with the ingest's own mapper (untimed), then time only the COPYs."""
    import gzip

    import orjson

    from activities.snapshots.ingest.documents import order_rows
    from activities.snapshots.ingest.fields import BadLine
    from activities.snapshots.ingest.loader import tsv
    from activities.snapshots.ingest.tables import ORDER_ITEMS, ORDERS

    async def run() -> dict[str, float]:
        conn = await psycopg.AsyncConnection.connect(os.environ["BENCH_DSN"])
        shop_id, _ = await _setup_shop(conn)
        order_file = Path(path + ".orders.tsv")
        item_file = Path(path + ".items.tsv")
        rows = 0
        with gzip.open(path, "rb") as src, order_file.open("w") as fo, item_file.open("w") as fi:
            for line in src:
                try:
                    parsed = order_rows(orjson.loads(line), shop_id)
                except BadLine:
                    continue  # the baseline loads the valid rows only
                for table, row in parsed:
                    (fo if table is ORDERS else fi).write(tsv(row))
                    rows += 1
        await conn.execute("TRUNCATE orders, order_items")
        await conn.commit()
        started = time.perf_counter()
        async with conn.cursor() as cur:
            for table, file in ((ORDERS, order_file), (ORDER_ITEMS, item_file)):
                async with cur.copy(f"COPY {table.name} ({', '.join(table.columns)}) FROM STDIN") as copy:
                    with file.open("rb") as fh:
                        while block := fh.read(1 << 20):
                            await copy.write(block)
        await conn.commit()
        seconds = time.perf_counter() - started
        await conn.execute("TRUNCATE orders, order_items")
        await conn.commit()
        await conn.close()
        order_file.unlink()
        item_file.unlink()
        return {"rows": rows, "seconds": seconds}

    return asyncio.run(run())


def step_ingest(path: str) -> dict[str, float]:
    from temporalio.testing import ActivityEnvironment

    from activities.snapshots.files import unpack
    from activities.snapshots.pipeline import ingest_chunk
    from workflows.snapshots import ChunkRequest

    async def run() -> dict[str, float]:
        conn = await psycopg.AsyncConnection.connect(os.environ["BENCH_DSN"])
        shop_id, run_id = await _setup_shop(conn)
        await conn.close()
        chunk_lines = 20000
        work = Path(path + ".work.jsonl")
        started = time.perf_counter()
        unpacked = unpack(Path(path), work, chunk_lines)
        env = ActivityEnvironment()
        upserted = rejected = 0
        for index, offset in enumerate(unpacked.offsets):
            start = 1 + index * chunk_lines
            result = await env.run(
                ingest_chunk,
                ChunkRequest(run_id, shop_id, "orders", str(work), index, start, offset,
                             min(start + chunk_lines, unpacked.lines + 1), unpacked.lines,
                             # as a full snapshot runs: search documents after the run, not per batch
                             index_search=os.environ.get("SNAPSHOT_SEARCH_INDEX", "after") == "batch"),
            )
            upserted += result.upserted
            rejected += result.rejected
        seconds = time.perf_counter() - started
        work.unlink()
        from activities.snapshots.pipeline import parser_pool

        # the parser's own peak, asked of it (RUSAGE_CHILDREN would count the image it
        # shared with this process for an instant between fork and exec)
        child = parser_pool().submit(_own_peak_mb).result()
        parser_pool().shutdown(wait=True)
        return {"rows": upserted, "rejected": rejected, "seconds": seconds, "child_rss_mb": child}

    return asyncio.run(run())


STEPS = {"generate": step_generate, "copy": step_copy, "ingest": step_ingest}


def _run_step(name: str, *args: str, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.snapshot_ingest", "--step", name, *args],
        capture_output=True, text=True, env=env, check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"step {name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--bad-share", type=float, default=0.0,
                        help="share of orders with a PostgreSQL-hostile value (0..1)")
    parser.add_argument("--step", choices=list(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.step:
        result = STEPS[opts.step](*opts.args) if opts.step != "generate" else step_generate(opts.args[0], int(opts.args[1]), float(opts.args[2]))
        result["own_rss_mb"] = _own_peak_mb()
        # worker plus parser process, both at their peaks at once: an upper bound
        result["peak_rss_mb"] = result["own_rss_mb"] + result.get("child_rss_mb", 0.0)
        print(json.dumps(result))
        return

    name = f"shopops_bench_{secrets.token_hex(4)}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    dsn = f"{ADMIN.rsplit('/', 1)[0]}/{name}"
    env = {**os.environ, "BENCH_DSN": dsn, "DATABASE_URL": dsn.replace("postgresql://", "postgresql+psycopg://"),
           "SHOPOPS_DATA_DIR": tempfile.mkdtemp(prefix="shopops-bench-")}
    try:
        from db import migrate

        migrate.upgrade(dsn)
        with tempfile.TemporaryDirectory() as tmp:
            path = str(Path(tmp) / "orders.jsonl.gz")
            gen = _run_step("generate", path, str(opts.orders), str(opts.bad_share), env=env)
            print(f"result file: {gen['lines']:.0f} orders, {gen['bytes'] / 1e6:.1f} MB gzip")
            copy = _run_step("copy", path, env=env)
            ingest = _run_step("ingest", path, env=env)
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    copy_rate = copy["rows"] / copy["seconds"]
    ingest_rate = ingest["rows"] / ingest["seconds"]
    print(f"COPY baseline: {copy['rows']:.0f} rows in {copy['seconds']:.2f} s")
    print(f"ingest peak RSS: worker {ingest['own_rss_mb']:.0f} MB + parser process {ingest['child_rss_mb']:.0f} MB")
    print(f"ingest (unpack + parse + COPY to staging + upsert): {ingest['rows']:.0f} rows in {ingest['seconds']:.2f} s, "
          f"{ingest['rejected']:.0f} lines quarantined")
    print(
        f"ratio={ingest_rate / copy_rate:.3f} ingest_rows_per_s={ingest_rate:.0f} "
        f"copy_rows_per_s={copy_rate:.0f} peak_rss_mb={ingest['peak_rss_mb']:.0f}"
    )


if __name__ == "__main__":
    main()
