"""The whole orders snapshot, end to end, against a keyed COPY of the same rows.

    python -m bench.snapshot_e2e --orders 1800000 --items-per-order 4.5

Everything runs as it does in production, each in its own process: the Temporal dev server,
the Shoptet sandbox with a generated shop of that size, the API (install callback, signed
`job:finished` webhook) and the worker (`shopops worker`, all queues and schedules). The shop is
installed through the real install flow, which starts the orders `SnapshotWorkflow`: job,
`job:finished`, download, unpack, parse, ingest, progress. Meanwhile this process asks the
workflow's `progress` query every 200 ms (its latency is measured) and samples the worker's
resident memory with its children (the parser process) every 200 ms. The analytics task queue
has a worker process of its own, as it should in production: its numeric libraries would add
about 220 MB to a worker that never uses them for a snapshot.

Then the baseline, in the same database: the rows the run wrote are exported, the tables
emptied, and the same rows COPYed back into the same tables with all their keys and indexes.

`wall_s` is the run from workflow start to close, including the time the sandbox (standing in
for Shoptet) takes to generate the result; `rows_per_s` counts order and item rows over our
part only, from the `job:finished` webhook to the run's close (download, unpack, parse,
ingest; the run row is `completed`). A full snapshot then indexes its search documents on the
indexing queue until the workflow closes: `index_after_run` in `stages_s`, and the rate with it
on the line before the last (`--index batch`: refreshed per ingest batch instead, as before). `progress_p95_ms` is the query's p95 over that same part, when the worker is busiest.
Last line:
orders=<n> items=<m> wall_s=<t> rows_per_s=<x> ratio=<x ÷ COPY rows/s> peak_worker_rss_mb=<r> progress_p95_ms=<p>
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg

from bench.common import scratch_database

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]
ESHOP_ID = 880001
SAMPLE_EVERY = 0.2  # seconds between progress queries and between RSS samples
# every order carries a shipping and a billing row besides its products (the generator's shape)
FIXED_ROWS_PER_ORDER = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Services:
    """The processes of one bench run; each writes its own log file in `logs`."""

    logs: Path
    env: dict[str, str]
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        with (self.logs / f"{name}.log").open("ab") as log:
            proc = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=self.env, cwd=ROOT, start_new_session=True,
            )
        self.procs[name] = proc
        return proc

    def check(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]
                raise SystemExit(f"{name} exited with code {proc.returncode}:\n{tail}")

    def stop(self) -> None:
        for proc in reversed(self.procs.values()):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(self.procs.values()):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def wait_until(services: Services, what: str, ready: object, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        services.check()
        try:
            if ready():  # type: ignore[operator]
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} was not ready within {timeout:.0f} s")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def running_services(env: dict[str, str], logs: Path) -> Iterator[tuple[Services, str, str]]:
    """Temporal dev server, sandbox, API and worker; yields (services, sandbox URL, API URL)."""
    from workflows.queues import Queue
    from workflows.search_attributes import dev_server_flags

    temporal_port, sandbox_port, api_port = free_port(), free_port(), free_port()
    sandbox_url, api_url = f"http://127.0.0.1:{sandbox_port}", f"http://127.0.0.1:{api_port}"
    env.update(
        TEMPORAL_ADDRESS=f"127.0.0.1:{temporal_port}", SHOPTET_API_URL=sandbox_url,
        SHOPTET_PARTNER_URL=sandbox_url, PUBLIC_BASE_URL=api_url, LOG_LEVEL="WARNING",
    )
    services = Services(logs, env)
    try:
        services.start("temporal", [
            str(BIN / "temporal"), "server", "start-dev", "--ip", "127.0.0.1",
            "--port", str(temporal_port), "--headless", "--log-level", "error", *dev_server_flags(),
        ])
        services.start("sandbox", [sys.executable, "-m", "infra.sandbox", "--port", str(sandbox_port),
                                   "--log-level", "warning"])
        wait_until(services, "the Temporal dev server", lambda: port_open(temporal_port))
        # analytics in a worker of its own, as deployed: its numeric libraries (~220 MB) are
        # no part of the snapshot worker measured here
        served = [q.value for q in Queue if q is not Queue.ANALYTICS]
        services.start("worker", [str(BIN / "shopops"), "worker", *(f"--queue={q}" for q in served)])
        services.start("analytics-worker", [str(BIN / "shopops"), "worker", "--no-schedules",
                                            f"--queue={Queue.ANALYTICS.value}"])
        services.start("api", [str(BIN / "shopops"), "api", "--port", str(api_port)])
        wait_until(services, "the sandbox", lambda: httpx.get(f"{sandbox_url}/_sandbox/stats").is_success)
        wait_until(services, "the API", lambda: httpx.get(f"{api_url}/api/health", timeout=5).is_success)
        # the install must not wait on a worker that is still starting (Shoptet gives it 5 s)
        check = subprocess.run([str(BIN / "shopops"), "job", "system-check"], env=env,
                               capture_output=True, text=True, timeout=180, check=False)
        if check.returncode != 0:
            raise SystemExit(f"the worker's system check failed:\n{check.stderr[-2000:]}")
        yield services, sandbox_url, api_url
    finally:
        services.stop()


def install_shop(sandbox_url: str, api_url: str, orders: int, items_per_order: float, seed: int) -> None:
    """The generated shop, installed through Shoptet's install call (which starts its snapshots)."""
    spec = {
        "eshop_id": ESHOP_ID, "seed": seed, "orders": orders,
        "mean_items": max(1.0, items_per_order - FIXED_ROWS_PER_ORDER),
        # products and customers stay small: their snapshots run beside the measured one
        "products": max(200, orders // 1000), "customers": max(500, orders // 100),
    }
    httpx.post(f"{sandbox_url}/_sandbox/shops", json=spec, timeout=30).raise_for_status()
    outcome: dict[str, object] = {}
    for _ in range(3):
        answer = httpx.post(f"{sandbox_url}/_sandbox/shops/{ESHOP_ID}/install",
                            json={"install_url": f"{api_url}/api/shoptet/install"}, timeout=60)
        outcome = answer.json()
        if outcome.get("status") == "installed":
            return
        time.sleep(2)
    raise SystemExit(f"installing the bench shop failed: {outcome}")


def orders_run(dsn: str, timeout: float = 60) -> tuple[int, int, str]:
    """(shop id, run id, workflow id) of the orders snapshot the install started."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT r.shop_id, r.id, r.workflow_id FROM snapshot_runs r JOIN shops s ON s.id = r.shop_id "
                "WHERE s.eshop_id = %s AND r.resource = 'orders' ORDER BY r.id LIMIT 1", (ESHOP_ID,),
            ).fetchone()
            if row:
                return row[0], row[1], row[2]
            time.sleep(0.2)
    raise SystemExit("the install started no orders snapshot")


@dataclass
class Watch:
    """What was seen while the run was going: query latencies and the worker's memory."""

    latencies: list[tuple[float, float]] = field(default_factory=list)  # (time.time(), ms)
    peak_rss: int = 0
    peak_parts: dict[str, int] = field(default_factory=dict)  # per process, at the peak
    phases: dict[str, float] = field(default_factory=dict)  # phase -> time.time() first seen

    def sample(self, worker: psutil.Process) -> None:
        parts: dict[str, int] = {}
        for proc in (worker, *worker.children(recursive=True)):
            with contextlib.suppress(psutil.NoSuchProcess):
                name = "worker" if proc.pid == worker.pid else f"{proc.pid}:{' '.join(proc.cmdline())[-60:]}"
                parts[name] = proc.memory_info().rss
        if sum(parts.values()) > self.peak_rss:
            self.peak_rss, self.peak_parts = sum(parts.values()), parts


async def worker_polling(client: Any, queue: str, services: Services, timeout: float = 180) -> None:
    """Wait until a worker polls `queue` for workflow and activity tasks, so a run's wall time
    does not include the worker's start."""
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    deadline = time.monotonic() + timeout
    kinds = (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)
    while time.monotonic() < deadline:
        services.check()
        polled = [
            await client.workflow_service.describe_task_queue(
                DescribeTaskQueueRequest(namespace=client.namespace, task_queue=TaskQueue(name=queue),
                                         task_queue_type=kind)
            )
            for kind in kinds
        ]
        if all(answer.pollers for answer in polled):
            return
        await asyncio.sleep(0.2)
    raise SystemExit(f"no worker polled {queue} within {timeout:.0f} s")


async def watch_until_closed(
    handle: Any, worker_pid: int, services: Services,
    each: Callable[[Watch], Awaitable[None]] | None = None,
) -> tuple[Watch, Any, Any]:
    """Sample the worker's memory (with its children), and run `each` (e.g. a progress query),
    every SAMPLE_EVERY until the workflow completes; (the samples, its result, its description).
    A supervised process that dies ends the bench (`services.check`)."""
    from temporalio.client import WorkflowExecutionStatus

    worker = psutil.Process(worker_pid)
    watch = Watch()
    result = asyncio.ensure_future(handle.result())
    try:
        while not result.done():
            services.check()
            watch.sample(worker)
            if each is not None:
                await each(watch)
            await asyncio.wait({result}, timeout=SAMPLE_EVERY)
        outcome = result.result()
    finally:
        result.cancel()
    desc = await handle.describe()
    assert desc.status == WorkflowExecutionStatus.COMPLETED and desc.close_time is not None
    return watch, outcome, desc


async def activity_seconds(handle: Any) -> dict[str, tuple[int, float]]:
    """Per activity type: (calls, seconds from start to completion summed), from the history."""
    scheduled: dict[int, str] = {}
    started: dict[int, Any] = {}
    totals: dict[str, tuple[int, float]] = {}
    async for event in handle.fetch_history_events():
        if event.HasField("activity_task_scheduled_event_attributes"):
            scheduled[event.event_id] = event.activity_task_scheduled_event_attributes.activity_type.name
        elif event.HasField("activity_task_started_event_attributes"):
            started[event.event_id] = event.event_time.ToDatetime()
        elif event.HasField("activity_task_completed_event_attributes"):
            done = event.activity_task_completed_event_attributes
            name = scheduled[done.scheduled_event_id]
            seconds = (event.event_time.ToDatetime() - started[done.started_event_id]).total_seconds()
            calls, total = totals.get(name, (0, 0.0))
            totals[name] = (calls + 1, total + seconds)
    return totals


async def watch_run(workflow_id: str, worker_pid: int, services: Services) -> tuple[Watch, datetime, datetime]:
    """Query progress and sample RSS until the workflow closes; returns its start and close times."""
    from temporalio.client import Client

    from workflows.snapshots import Progress

    client = await Client.connect(services.env["TEMPORAL_ADDRESS"])
    handle = client.get_workflow_handle(workflow_id)

    async def progress(watch: Watch) -> None:
        started = time.perf_counter()
        with contextlib.suppress(Exception):  # a query racing the close is not a latency
            seen = await handle.query("progress", result_type=Progress)
            watch.latencies.append((time.time(), (time.perf_counter() - started) * 1000))
            watch.phases.setdefault(seen.phase, time.time())

    watch, _, desc = await watch_until_closed(handle, worker_pid, services, progress)
    return watch, desc.start_time, desc.close_time


def run_facts(dsn: str, shop_id: int, run_id: int) -> dict[str, object]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        run = conn.execute(
            "SELECT status, total_lines, processed_lines, rows_upserted, rejected_lines, job_id, finished_at "
            "FROM snapshot_runs WHERE id = %s", (run_id,),
        ).fetchone()
        documents = conn.execute(
            "SELECT count(*) FROM search_documents WHERE shop_id = %s AND kind = 'order'", (shop_id,),
        ).fetchone()[0]
        finished = conn.execute(
            "SELECT min(received_at) FROM webhook_events WHERE shop_id = %s AND event = 'job:finished' "
            "AND event_instance = %s", (shop_id, run[5]),
        ).fetchone()[0]
        orders, items = conn.execute(
            "SELECT (SELECT count(*) FROM orders WHERE shop_id = %(s)s), "
            "(SELECT count(*) FROM order_items WHERE shop_id = %(s)s)", {"s": shop_id},
        ).fetchone()
    return {"status": run[0], "total_lines": run[1], "processed_lines": run[2], "rows_upserted": run[3],
            "rejected": run[4], "job_finished_at": finished, "run_finished_at": run[6], "orders": orders,
            "items": items, "documents": documents}


def copy_baseline(dsn: str, shop_id: int, work: Path) -> tuple[int, float]:
    """(rows, seconds) of COPYing the run's own rows back into the emptied tables."""
    from activities.snapshots.ingest.tables import ORDER_ITEMS, ORDERS

    files: list[tuple[str, Path]] = []
    rows = 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        for table in (ORDERS, ORDER_ITEMS):
            cols = ", ".join(table.columns)
            path = work / f"{table.name}.copy"
            with path.open("wb") as out, conn.cursor().copy(
                f"COPY (SELECT {cols} FROM {table.name} WHERE shop_id = {int(shop_id)}) TO STDOUT"
            ) as copy:
                for block in copy:
                    out.write(block)
            files.append((f"COPY {table.name} ({cols}) FROM STDIN", path))
        rows = sum(sum(1 for _ in path.open("rb")) for _, path in files)
        conn.execute("TRUNCATE orders, order_items")
        conn.execute("CHECKPOINT")
        conn.autocommit = False
        started = time.perf_counter()
        with conn.cursor() as cur:
            for sql, path in files:
                with cur.copy(sql) as copy, path.open("rb") as fh:
                    while block := fh.read(1 << 20):
                        copy.write(block)
        conn.commit()
        seconds = time.perf_counter() - started
    for _, path in files:
        path.unlink()
    return rows, seconds


def p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def run(orders: int, items_per_order: float, seed: int, index_mode: str = "after", keep: bool = False) -> str:
    with scratch_database("shopops_bench_e2e", keep) as url, tempfile.TemporaryDirectory(prefix="shopops-e2e-") as tmp:
        work = Path(tmp)
        (work / "logs").mkdir()
        env = {**os.environ, "DATABASE_URL": url.replace("postgresql://", "postgresql+psycopg://"),
               "SHOPOPS_DATA_DIR": str(work / "data"), "TMPDIR": tmp, "SNAPSHOT_SEARCH_INDEX": index_mode}
        print(f"logs in {work / 'logs'}", flush=True)
        with running_services(env, work / "logs") as (services, sandbox_url, api_url):
            install_shop(sandbox_url, api_url, orders, items_per_order, seed)
            shop_id, run_id, workflow_id = orders_run(url)
            print(f"orders snapshot {workflow_id} running", flush=True)
            watch, started, closed = asyncio.run(watch_run(workflow_id, services.procs["worker"].pid, services))
        facts = run_facts(url, shop_id, run_id)
        print(f"run: {facts}", flush=True)
        rows = int(facts["orders"]) + int(facts["items"])  # type: ignore[call-overload]
        # (rows_upserted may be a little lower: the incremental sync that the install started
        # can land a recently changed order first, which the snapshot then finds unchanged)
        if (facts["status"] != "completed" or facts["orders"] != orders or facts["processed_lines"] != orders
                or facts["documents"] != orders):
            raise SystemExit(f"the run did not load (and index) the shop exactly: {facts}")
        job_finished, run_finished = facts["job_finished_at"], facts["run_finished_at"]
        assert isinstance(job_finished, datetime), "no job:finished webhook was received"
        assert isinstance(run_finished, datetime)
        # the rows are in when the run row closes; the search documents of a full snapshot are
        # indexed after that (index_snapshot, on the indexing queue) until the workflow closes
        ours_s = (run_finished - job_finished).total_seconds()
        index_s = max(0.0, (closed - run_finished).total_seconds())
        wall_s = (closed - started).total_seconds()
        busy = [ms for at, ms in watch.latencies if at >= job_finished.timestamp()]
        ingesting = watch.phases.get("ingesting", job_finished.timestamp())
        print(f"stages_s shoptet_job={(job_finished - started).total_seconds():.1f} "
              f"download_to_done={ours_s:.1f} (download_unpack={ingesting - job_finished.timestamp():.1f} "
              f"ingest={run_finished.timestamp() - ingesting:.1f}) index_after_run={index_s:.1f} "
              f"total={wall_s:.1f} (search index: {index_mode})", flush=True)
        print(f"progress queries: {len(watch.latencies)}, p95 over the whole run "
              f"{p95([ms for _, ms in watch.latencies]):.1f} ms, max {max(ms for _, ms in watch.latencies):.1f} ms",
              flush=True)
        parts = ", ".join(f"{name} {rss / 2**20:.0f} MB" for name, rss in watch.peak_parts.items())
        print(f"worker memory at its peak: {parts}", flush=True)
        copy_rows, copy_s = copy_baseline(url, shop_id, work)
    copy_rate = copy_rows / copy_s
    rate = rows / ours_s
    print(f"COPY baseline: {copy_rows} rows in {copy_s:.1f} s ({copy_rate:.0f} rows/s)", flush=True)
    print(f"with the after-run indexing: {rows / (ours_s + index_s):.0f} rows/s, "
          f"ratio {rows / (ours_s + index_s) / copy_rate:.3f}", flush=True)
    return (
        f"orders={facts['orders']} items={facts['items']} wall_s={wall_s:.1f} rows_per_s={rate:.0f} "
        f"ratio={rate / copy_rate:.3f} peak_worker_rss_mb={watch.peak_rss / 2**20:.0f} "
        f"progress_p95_ms={p95(busy):.1f}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--items-per-order", type=float, default=4.5,
                        help="order_items rows per order, shipping and billing rows included (>= 3)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--index", choices=("after", "batch"), default="after",
                        help="search documents: one pass after the run (default) or per ingest batch")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database (its URL is printed) for later benches on the same data")
    opts = parser.parse_args(argv)
    if opts.items_per_order < 1 + FIXED_ROWS_PER_ORDER:
        parser.error("--items-per-order must be at least 3 (a product, shipping and billing row)")
    print(run(opts.orders, opts.items_per_order, opts.seed, opts.index, opts.keep), flush=True)


if __name__ == "__main__":
    main()
