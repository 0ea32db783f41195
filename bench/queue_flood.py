"""A flood on the exports queue does not delay the webhooks queue.

Starts a Temporal dev server, a scratch database with `--items` order items, and two worker
processes as `make run` does (`shopops worker -q shopops-exports` and one for the webhooks
queue), then times one outbound webhook delivery (publish → the local receiver has it)
idle, and again right after starting `--exports` export workflows.

    python -m bench.queue_flood [--items 200000] [--exports 50]

Last line: `webhook_idle_s=<a> webhook_under_flood_s=<b> exports_waiting=<n> ratio=<b ÷ a>`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.common import scratch_database
from bench.exports import seed

BIN = Path(sys.executable).parent


def receiver() -> tuple[ThreadingHTTPServer, threading.Event, str]:
    got = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            got.set()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, got, f"http://127.0.0.1:{server.server_address[1]}/hook"


async def time_delivery(got: threading.Event) -> float:
    from infra.outbound_webhooks.events import publish

    got.clear()
    started = time.perf_counter()
    ids = await publish(1, [("order.created", {"code": "B1"})])
    assert ids, "no endpoint subscribed"
    while not got.is_set():
        await asyncio.sleep(0.005)
    return time.perf_counter() - started


async def run(items: int, exports: int) -> None:
    from temporalio.testing import WorkflowEnvironment

    from db.models import Export, WebhookEndpoint

    with scratch_database("bench_flood") as url:
        seed(url, items)
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(BIN / "temporal"), ui=False, dev_server_log_level="error"
        )
        address = env.client.service_client.config.target_host
        os.environ.update({"TEMPORAL_ADDRESS": address, "SHOPOPS_ENV": "development"})
        from db.config import get_settings

        get_settings.cache_clear()
        child_env = {**os.environ}
        workers = [
            subprocess.Popen(
                [str(BIN / "shopops"), "worker", "--no-schedules", "-q", queue],
                env=child_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            for queue in ("shopops-exports", "shopops-webhooks")
        ]
        server, got, hook = receiver()
        try:
            from db.engine import session_scope
            from infra.temporal_client import connect
            from workflows.exports import DataExportWorkflow, ExportRequest, workflow_id
            from workflows.queues import Queue

            async with session_scope() as session:
                session.add(WebhookEndpoint(shop_id=1, url=hook, events=["order.created"], secret="whsec_bench"))
            client = await connect()
            await asyncio.sleep(5)  # both workers polling
            idle = min([await time_delivery(got) for _ in range(3)])
            ids = []
            async with session_scope() as session:
                for _ in range(exports):
                    row = Export(id=uuid.uuid4(), shop_id=1, kind="order_items", format="xlsx", filters={})
                    session.add(row)
                    ids.append(str(row.id))
            for export_id in ids:
                await client.start_workflow(
                    DataExportWorkflow.run, ExportRequest(export_id), id=workflow_id(export_id),
                    task_queue=Queue.EXPORTS.value,
                )
            await asyncio.sleep(1)
            flood = [await time_delivery(got) for _ in range(3)]
            async with session_scope() as session:
                from sqlalchemy import func, select

                waiting = (
                    await session.execute(
                        select(func.count()).select_from(Export).where(Export.status.in_(["pending", "running"]))
                    )
                ).scalar_one()
            for export_id in ids:
                await client.get_workflow_handle(workflow_id(export_id)).terminate("bench over")
            worst = max(flood)
            print(f"under flood: {', '.join(f'{s:.3f}' for s in flood)} s; idle best {idle:.3f} s")
            print(f"webhook_idle_s={idle:.3f} webhook_under_flood_s={worst:.3f} exports_waiting={waiting} ratio={worst / idle:.2f}")
        finally:
            for w in workers:
                w.terminate()
            for w in workers:  # an export mid-file takes its graceful shutdown time
                try:
                    w.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    w.kill()
                    w.wait()
            server.shutdown()
            await env.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--exports", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(run(args.items, args.exports))


if __name__ == "__main__":
    main()
