"""`make chaos`: the whole system under faults, then proof that nothing was lost or doubled.

    python -m infra.chaos [--faults 30] [--seed 1] [--orders 200000]

A private PostgreSQL cluster (initdb under `.data/chaos/`, from the installed server binaries,
so restarting it touches nothing else), a private Redis and the Temporal dev server (state in a
file, so a restart keeps every workflow) run under the `make run` supervisor, with the API and
the worker. The Shoptet sandbox runs inside this process: it is the outside world, and its state
is the truth the database is checked against.

Two shops are installed through Shoptet's install call, which starts their snapshots (one shop
large) and their continuous sync. While the sandbox keeps creating, changing, cancelling and
deleting orders (each sends its webhook), faults hit at seeded random moments: the worker and
the API killed with SIGKILL, the Temporal dev server, PostgreSQL and Redis restarted. The
supervisor brings every process back. Then the checks:

* PostgreSQL matches the sandbox exactly per shop: order and item counts and money sums,
  product and customer counts (`lost` counts rows missing or sums short, `duplicated` rows too many);
* no snapshot run, and no snapshot or sync workflow, is still running (`stuck`);
* every webhook the API accepted (HTTP 200) is stored and processed once, none left unprocessed;
* no process of this system outlives it (`orphans`: still alive after everything was stopped).

Last line: faults=<n> lost=<n> duplicated=<n> stuck=<n> orphans=<n> wall_s=<t>
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psutil
import psycopg

from db.config import ROOT
from infra import devrun

BIN = Path(sys.executable).parent
LARGE_ESHOP, SMALL_ESHOP = 770001, 770002


def log(message: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class System:
    sup: devrun.Supervisor
    data: Path
    env: dict[str, str]
    db_url: str
    api_url: str
    pgdata: Path
    stop: threading.Event = field(default_factory=threading.Event)

    def child(self, name: str) -> devrun.Child:
        return next(c for c in self.sup.children if c.name == name)

    def port_of(self, name: str) -> int:
        return {
            "postgres": int(urlsplit(self.db_url).port or 5432),
            "redis": int(urlsplit(self.env["REDIS_URL"]).port or 6379),
            "temporal": int(self.env["TEMPORAL_ADDRESS"].rsplit(":", 1)[1]),
            "api": int(urlsplit(self.api_url).port or 80),
        }[name]


STARTS = 3  # attempts at starting the private servers
INSTALL_TRIES = 8  # a merchant's patience with Shoptet's install button (backing off, ~3 min)
INSTALL_BUDGET_S = 20


def start_system_retrying(data: Path) -> System:
    """`start_system`, again on fresh ports and a fresh folder when a server did not come up:
    every port is taken from the kernel's free list a moment before its server binds it (and
    the Temporal dev server picks more ports of its own), so on a machine where other suites
    start servers too, one may be taken in between. That is a collision of the harness, not a
    fault of the system under test."""
    for attempt in range(1, STARTS + 1):
        try:
            return start_system(data)
        except devrun.Abort as exc:
            if attempt == STARTS:
                raise
            log(f"starting the private servers failed ({str(exc).strip()}); trying again on fresh ports")
            shutil.rmtree(data, ignore_errors=True)
            data.mkdir(parents=True)
    raise AssertionError("unreachable")


def start_system(data: Path) -> System:
    """Private PostgreSQL, Redis, Temporal; migrations; then the API and the worker."""
    bindir = devrun._pg_bindir()
    redis_server = shutil.which("redis-server")
    if bindir is None or redis_server is None:
        raise devrun.Abort("make chaos needs the PostgreSQL server binaries and redis-server installed")
    sup = devrun.Supervisor(data, say=log)
    pgdata = devrun._private_pgdata(data)  # reachable by the postgres user when run as root
    shutil.rmtree(pgdata, ignore_errors=True)
    template = urlsplit("postgresql+psycopg://postgres@127.0.0.1:5432/shopops")
    try:
        db_url = devrun.private_postgres(sup, bindir, pgdata, devrun._free_port(), template)
        redis_url = devrun.private_redis(sup, redis_server, data / "redis", devrun._free_port())
        devrun.ensure_database(db_url)
        from db import migrate

        migrate.upgrade(db_url.replace("postgresql+psycopg://", "postgresql://"))
        address = devrun.temporal_dev_server(sup, BIN / "temporal", data / "temporal", devrun._free_port(), None)
    except devrun.Abort:
        sup.stop()
        shutil.rmtree(pgdata, ignore_errors=True)
        raise
    api_port = devrun._free_port()
    api_url = f"http://127.0.0.1:{api_port}"
    env = {
        "DATABASE_URL": db_url, "REDIS_URL": redis_url, "TEMPORAL_ADDRESS": address,
        "PUBLIC_BASE_URL": api_url, "SHOPOPS_DATA_DIR": str(data / "app"), "LOG_LEVEL": "WARNING",
        # webhooks a fault left undispatched are found by the outbox sweep within seconds, so the
        # run settles sooner (production sweeps every 30 s)
        "WEBHOOK_OUTBOX_SECONDS": "5",
        # the install callback gets 20 s instead of Shoptet's 5 (the sandbox waits 25): at load
        # 25-30 on two cores no install fit in 4.5 s in 12 tries, and every try redeems a new
        # code and starts over. The 5 s budget has tests of its own; chaos is about faults.
        "INSTALL_BUDGET_SECONDS": str(INSTALL_BUDGET_S),
    }
    return System(sup, data, env, db_url.replace("postgresql+psycopg://", "postgresql://"), api_url, pgdata)


def start_app(system: System, sandbox_url: str) -> None:
    system.env.update(SHOPTET_API_URL=sandbox_url, SHOPTET_PARTNER_URL=sandbox_url)
    shopops = str(BIN / "shopops")
    system.sup.start("worker", [shopops, "worker"], system.env)
    system.sup.start("api", [shopops, "api", "--port", str(system.port_of("api"))], system.env)
    devrun._wait_healthy(system.sup, f"{system.api_url}/api/health", timeout=120)
    devrun._wait_worker(system.sup, system.env, timeout=180)


def supervise_in_background(system: System) -> threading.Thread:
    thread = threading.Thread(
        target=lambda: _loop(system), name="supervisor", daemon=True
    )
    thread.start()
    return thread


def _loop(system: System) -> None:
    while not system.stop.is_set():
        system.sup.supervise()
        system.stop.wait(0.2)


# -- faults

def _signal(system: System, name: str, sig: signal.Signals) -> int:
    pid = system.child(name).proc.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig) if sig != signal.SIGKILL else os.kill(pid, sig)
    return pid


FAULTS: dict[str, tuple[str, signal.Signals]] = {
    "kill worker": ("worker", signal.SIGKILL),
    "kill api": ("api", signal.SIGKILL),
    "restart temporal": ("temporal", signal.SIGTERM),
    "restart postgres": ("postgres", signal.SIGINT),  # fast shutdown: active transactions abort
    "restart redis": ("redis", signal.SIGTERM),
}


async def inject(system: System, fault: str) -> None:
    """Do the fault, then wait until the supervisor has the process back and listening."""
    name, sig = FAULTS[fault]
    child = system.child(name)
    old = _signal(system, name, sig)
    log(f"fault: {fault} (pid {old})")
    deadline = time.monotonic() + 120
    while child.proc.pid == old or child.proc.poll() is not None:
        if time.monotonic() > deadline:
            raise SystemExit(f"{name} did not come back after '{fault}'")
        await asyncio.sleep(0.1)
    if name != "worker":
        while not devrun._port_open("127.0.0.1", system.port_of(name)):
            if time.monotonic() > deadline:
                raise SystemExit(f"{name} did not listen again after '{fault}'")
            await asyncio.sleep(0.1)


# -- the shops' life in the sandbox

async def mutate(state: Any, rng: random.Random, stop: asyncio.Event, eshops: list[int]) -> int:
    """Orders created, changed, paid, cancelled and deleted (each with its webhook) until stopped."""
    changes = 0
    while not stop.is_set():
        eshop = rng.choice(eshops)
        data = state.shops[eshop].data
        action = rng.choices(["create", "status", "paid", "cancel", "delete"], [3, 3, 2, 1, 1])[0]
        if action == "create":
            state.create_order(eshop)
        else:
            i = rng.randrange(data.order_count)
            if data.is_deleted("orders", i):
                continue
            code = data.order_code(i)
            if action == "status":
                state.update_order(eshop, code, status_id=rng.choice([-1, -2, -3]))
            elif action == "paid":
                state.update_order(eshop, code, paid=True)
            elif action == "cancel":
                state.cancel_order(eshop, code)
            else:
                state.delete_order(eshop, code)
        changes += 1
        await asyncio.sleep(rng.uniform(0.05, 0.4))
    return changes


def truth(state: Any, eshop: int) -> dict[str, Decimal | int]:
    """What Shoptet holds for the shop now: the standard the database must meet."""
    data = state.shops[eshop].data
    orders = items = 0
    total = item_total = Decimal(0)
    for i in range(data.order_count):
        if data.is_deleted("orders", i):
            continue
        doc = data.order_full(i)
        orders += 1
        total += Decimal(doc["price"]["withVat"])
        for item in doc["items"]:
            items += 1
            item_total += Decimal(item["itemPrice"]["withVat"])
    return {
        "orders": orders, "orders_sum": total, "order_items": items, "order_items_sum": item_total,
        "products": data.live_count("products"), "customers": data.live_count("customers"),
    }


STORED_SQL = """
SELECT (SELECT count(*) FROM orders WHERE shop_id = %(s)s),
       (SELECT coalesce(sum(total_with_vat), 0) FROM orders WHERE shop_id = %(s)s),
       (SELECT count(*) FROM order_items WHERE shop_id = %(s)s),
       (SELECT coalesce(sum(price_with_vat), 0) FROM order_items WHERE shop_id = %(s)s),
       (SELECT count(*) FROM products WHERE shop_id = %(s)s),
       (SELECT count(*) FROM customers WHERE shop_id = %(s)s)
"""


def stored(db_url: str, eshop: int) -> dict[str, Decimal | int]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        shop = conn.execute("SELECT id FROM shops WHERE eshop_id = %s", (eshop,)).fetchone()
        if shop is None:
            return {}
        row = conn.execute(STORED_SQL, {"s": shop[0]}).fetchone()
    keys = ("orders", "orders_sum", "order_items", "order_items_sum", "products", "customers")
    return dict(zip(keys, row, strict=True))


def differences(want: dict[str, Any], have: dict[str, Any]) -> tuple[int, int, list[str]]:
    """(rows lost, rows duplicated, what differs) between the sandbox and the database."""
    lost = duplicated = 0
    notes = []
    for key, value in want.items():
        got = have.get(key, 0)
        if got == value:
            continue
        notes.append(f"{key}: sandbox {value}, database {got}")
        if key.endswith("_sum"):
            lost += 0 if got > value else 1
            duplicated += 1 if got > value else 0
        elif got < value:
            lost += int(value - got)
        else:
            duplicated += int(got - value)
    return lost, duplicated, notes


# -- the end state

def stuck_work(db_url: str) -> list[str]:
    with psycopg.connect(db_url, autocommit=True) as conn:
        runs = conn.execute(
            "SELECT id, resource, status FROM snapshot_runs WHERE status IN ('pending', 'running')"
        ).fetchall()
        unprocessed = conn.execute(
            "SELECT id, event, status FROM webhook_events WHERE status IN ('received', 'failed')"
        ).fetchall()
    return [f"snapshot run {r[0]} ({r[1]}) still {r[2]}" for r in runs] + [
        f"webhook event {e[0]} ({e[1]}) left {e[2]}" for e in unprocessed
    ]


async def running_workflows(address: str) -> list[str]:
    from temporalio.client import Client

    client = await Client.connect(address)
    query = 'ExecutionStatus = "Running" AND (RunKind = "snapshot" OR RunKind = "sync")'
    return [w.id async for w in client.list_workflows(query)]


def webhook_accounting(state: Any, db_url: str) -> tuple[int, int, list[str]]:
    """(lost, duplicated, notes): every notification the API accepted is stored and processed
    once. Notifications are told apart by their exact bytes (two changes of one order within a
    second are one notification to Shoptet's receiver too: same body)."""
    accepted = {bytes(n.body) for n in state.webhooks.notifications if n.deliveries > 0}
    with psycopg.connect(db_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT raw_body, count(*) FILTER (WHERE status <> 'duplicate'), "
            "count(*) FILTER (WHERE status = 'failed') FROM webhook_events GROUP BY raw_body"
        ).fetchall()
    kept = {bytes(body): count for body, count, _ in rows}
    failed = sum(fails for _, _, fails in rows)
    lost = sum(1 for body in accepted if kept.get(body, 0) == 0)
    duplicated = sum(1 for body in accepted if kept.get(body, 0) > 1)
    notes = [f"{len(accepted)} distinct webhooks accepted, {lost} not stored, {duplicated} processed "
             f"more than once, {failed} left failed"]
    return lost, duplicated, notes


def ours(data: Path) -> list[psutil.Process]:
    """Processes started for this run (they carry its data folder in their environment)."""
    mine = str(data / "app")
    found = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if proc.pid != os.getpid() and proc.environ().get("SHOPOPS_DATA_DIR") == mine:
                found.append(proc)
    return found


async def trigger_syncs(system: System, eshops: list[int]) -> None:
    """A sync pass of every resource of the shops now (`shopops shop sync`, in this process: a
    CLI process per shop and round cost ~10 s of start-up on a busy machine)."""
    from temporalio.client import Client

    from api.services.sync import start_sync
    from workflows.sync import RESOURCES

    with psycopg.connect(system.db_url, autocommit=True) as conn:
        shop_ids = [r[0] for r in conn.execute("SELECT id FROM shops WHERE eshop_id = ANY(%s)", (eshops,))]
    try:
        client = await Client.connect(system.env["TEMPORAL_ADDRESS"])
        for shop_id in shop_ids:
            for resource in RESOURCES:
                await start_sync(client, shop_id, resource)
    except Exception as exc:  # Temporal still coming back, or a shop without schedules: next round
        log(f"triggering syncs failed: {type(exc).__name__}: {exc}")


async def converge(system: System, state: Any, eshops: list[int], settle: float) -> tuple[int, int, list[str]]:
    """Syncs until the database matches the sandbox (or `settle` seconds are up); the last comparison."""
    deadline = time.monotonic() + settle
    wants = {e: await asyncio.to_thread(truth, state, e) for e in eshops}
    while True:
        await trigger_syncs(system, eshops)
        await asyncio.sleep(5)
        lost = duplicated = 0
        notes: list[str] = []
        for eshop, want in wants.items():
            have = await asyncio.to_thread(stored, system.db_url, eshop)
            shop_lost, shop_dup, shop_notes = differences(want, have)
            lost, duplicated = lost + shop_lost, duplicated + shop_dup
            notes += [f"shop {eshop}: {n}" for n in shop_notes]
        busy = stuck_work(system.db_url) + await running_workflows(system.env["TEMPORAL_ADDRESS"])
        if (not notes and not busy) or time.monotonic() > deadline:
            return lost, duplicated, notes
        log(f"not settled yet: {'; '.join(notes + busy)[:400]}")


async def run(faults: int, seed: int, orders: int, gap: tuple[float, float], settle: float, data: Path) -> str:
    from infra.sandbox.generator import ShopSpec
    from infra.sandbox.testing import running_sandbox

    began = time.monotonic()
    rng = random.Random(seed)
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    system = start_system_retrying(data)
    shops = [
        ShopSpec(eshop_id=LARGE_ESHOP, seed=seed, orders=orders, products=300, customers=max(500, orders // 50),
                 mean_items=2.5),
        ShopSpec(eshop_id=SMALL_ESHOP, seed=seed + 1, orders=max(200, orders // 20), products=100, customers=300),
    ]
    eshops = [s.eshop_id for s in shops]
    faults_done = 0
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)  # stop all on SIGTERM too
    try:
        async with running_sandbox(shops=shops, duplicate_webhooks=0.05, webhook_retry_ms=500,
                                   job_pending_ms=200, job_running_ms=500,
                                   install_timeout=INSTALL_BUDGET_S + 5) as sandbox:
            start_app(system, sandbox.url)
            supervise_in_background(system)
            for eshop in eshops:
                await install(sandbox.url, system.api_url, eshop)
            stop_mutating = asyncio.Event()
            mutator = asyncio.create_task(mutate(sandbox.state, random.Random(seed + 7), stop_mutating, eshops))
            for _ in range(faults):
                await asyncio.sleep(rng.uniform(*gap))
                await inject(system, rng.choice(sorted(FAULTS)))
                faults_done += 1
            stop_mutating.set()
            changes = await mutator
            log(f"{faults_done} faults and {changes} order changes done; letting the system settle")
            lost, duplicated, notes = await converge(system, sandbox.state, eshops, settle)
            hook_lost, hook_dup, hook_notes = webhook_accounting(sandbox.state, system.db_url)
            stuck = stuck_work(system.db_url) + await running_workflows(system.env["TEMPORAL_ADDRESS"])
            for note in [*notes, *hook_notes, *stuck]:
                log(note)
    finally:
        system.stop.set()
        system.sup.stop()
        if not system.pgdata.is_relative_to(data):  # the cluster had to live outside the data folder
            shutil.rmtree(system.pgdata, ignore_errors=True)
        strays = ours(data)
        for proc in strays:
            with contextlib.suppress(psutil.Error):
                log(f"orphan: pid {proc.pid} {' '.join(proc.cmdline())[:120]}")
                proc.kill()
    return (
        f"faults={faults_done} lost={lost + hook_lost} duplicated={duplicated + hook_dup} "
        f"stuck={len(stuck)} orphans={len(strays)} wall_s={time.monotonic() - began:.0f}"
    )


async def install(sandbox_url: str, api_url: str, eshop: int) -> None:
    """Install as a merchant would: Shoptet gives the install URL a few seconds, and on a busy
    machine (the other shop's snapshot parsing) an install can miss them; the merchant retries."""
    async with httpx.AsyncClient(timeout=60) as http:
        # Within Shoptet's 5 s an install took 5 tries at load 25-30, and once 30 tries 3 s apart
        # never made it: every try redeems a new code in a new installation workflow, and those
        # still running hold the shop's installation lock, so quick retries pile up behind it.
        # Hence the longer budget (start_system) and retries that back off.
        answer: dict[str, Any] = {}
        for attempt in range(INSTALL_TRIES):
            answer = (await http.post(f"{sandbox_url}/_sandbox/shops/{eshop}/install",
                                      json={"install_url": f"{api_url}/api/shoptet/install"})).json()
            if answer.get("status") == "installed":
                log(f"shop {eshop} installed")
                return
            log(f"installing shop {eshop}: {answer.get('error')}; retrying")
            await asyncio.sleep(min(3 * 2**attempt, 30))
    raise SystemExit(f"installing shop {eshop} failed: {answer}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faults", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--orders", type=int, default=200_000, help="orders of the large shop")
    parser.add_argument("--gap", type=float, nargs=2, default=(5.0, 20.0), metavar=("MIN", "MAX"),
                        help="seconds between faults, drawn uniformly (default 5 20)")
    parser.add_argument("--settle", type=float, default=900.0,
                        help="seconds the system gets to match the sandbox after the last fault")
    parser.add_argument("--data", type=Path, default=ROOT / ".data" / "chaos",
                        help="folder for the private servers, logs and files (emptied first)")
    opts = parser.parse_args(argv)
    print(asyncio.run(run(opts.faults, opts.seed, opts.orders, tuple(opts.gap), opts.settle, opts.data)), flush=True)


if __name__ == "__main__":
    main()
