"""Graceful drain: SIGTERM a real worker process during a long heartbeating activity; the worker
stops polling, gives the activity WORKER_SHUTDOWN_SECONDS, then cancels it, and the retry runs on
another worker from the last heartbeat. Every item is processed, none is lost."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import redis.asyncio as aioredis

ROOT = Path(__file__).resolve().parents[2]
TOTAL = 40


def _start(name: str, queue: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "WORKER_SHUTDOWN_SECONDS": "0.5", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.deploy.drain_worker", name, queue], cwd=ROOT, env=env
    )


async def _until(predicate, what: str, limit: int = 600) -> None:  # type: ignore[no-untyped-def]
    for _ in range(limit):
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


async def test_sigterm_drains_and_the_activity_resumes_elsewhere(temporal_env: object) -> None:
    from infra.temporal_client import connect

    queue = f"shopops-test-drain-{secrets.token_hex(4)}"
    key = f"drain:{queue}"
    r = aioredis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
    client = await connect()
    first = _start("A", queue)
    second: subprocess.Popen[bytes] | None = None
    try:
        handle = await client.start_workflow(
            "DrainTestWorkflow", args=[TOTAL, key], id=f"drain-{queue}", task_queue=queue
        )

        async def a_is_midway() -> bool:
            return await r.hlen(f"{key}:items") >= 10

        await _until(a_is_midway, "worker A to process 10 items")
        second = _start("B", queue)

        async def b_polls() -> bool:
            return bool(await r.exists(f"{queue}:ready:B"))

        await _until(b_polls, "worker B to start")
        first.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(first.wait, 60) == 0, "worker A did not exit cleanly"
        assert await handle.result() == TOTAL

        attempts = [str(a) for a in await r.lrange(f"{key}:attempts", 0, -1)]
        items = {str(k): str(v) for k, v in (await r.hgetall(f"{key}:items")).items()}
        assert attempts[0] == "A:0"
        b_attempt = [a for a in attempts if a.startswith("B:")]
        assert b_attempt, f"the activity did not move to worker B: {attempts}"
        resumed_at = int(b_attempt[0].split(":")[1])
        assert resumed_at == 10, f"B did not resume from A's last heartbeat: {attempts}"
        assert set(items) == {str(i) for i in range(TOTAL)}, "items were lost"
        assert all(items[str(i)] == "B" for i in range(resumed_at, TOTAL))
        assert all(items[str(i)] == "A" for i in range(resumed_at - 1))
        assert resumed_at <= max(int(i) for i, who in items.items() if who == "A") + 2
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                await asyncio.to_thread(proc.wait, 60)
        await r.delete(f"{key}:items", f"{key}:attempts", f"{queue}:ready:A", f"{queue}:ready:B")
        await r.aclose()
