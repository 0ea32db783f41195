"""No input gives a server error: schemathesis over the whole API, and the webhook receiver.

`make test` runs a short bounded pass (SHOPOPS_FUZZ_EXAMPLES=2 per operation, mode and
role mix); `make fuzz` a long one. The summary goes to stdout and .data/fuzz/last.txt, whose
last line is `cases=<n> server_errors=<m>`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session
from temporalio.client import Client
from temporalio.service import RPCError

from tests.fuzz.engine import Report, fuzz_api, fuzz_webhooks
from tests.fuzz.world import build_world
from tests.live import running_api

ROOT = Path(__file__).resolve().parents[2]
SUMMARY = ROOT / ".data" / "fuzz" / "last.txt"
EXAMPLES = int(os.environ.get("SHOPOPS_FUZZ_EXAMPLES", "2"))
WEBHOOK_EXAMPLES = int(os.environ.get("SHOPOPS_FUZZ_WEBHOOKS", "60"))
SEED = int(os.environ.get("SHOPOPS_FUZZ_SEED", "0"))


async def _paused_schedules(client: Client) -> dict[str, bool]:
    return {
        s.id: bool(s.schedule and s.schedule.state.paused)
        async for s in await client.list_schedules()
    }


async def _undo_temporal(client: Client, since: datetime, paused_before: dict[str, bool]) -> None:
    """Later tests of the session share the Temporal server: end the workflows the fuzzed
    starts left queued, delete the schedules a fuzzed sync interval created, and put back
    each schedule's paused state."""
    query = f"ExecutionStatus = 'Running' AND StartTime >= '{since.isoformat()}'"
    async for wf in client.list_workflows(query):
        with contextlib.suppress(RPCError):
            await client.get_workflow_handle(wf.id, run_id=wf.run_id).terminate("fuzz test cleanup")
    for schedule_id in set(await _paused_schedules(client)) - set(paused_before):
        with contextlib.suppress(RPCError):
            await client.get_schedule_handle(schedule_id).delete()
    for schedule_id, paused in paused_before.items():
        handle = client.get_schedule_handle(schedule_id)
        with contextlib.suppress(RPCError):
            await (handle.pause() if paused else handle.unpause())


async def test_no_input_gives_a_server_error(db_session: Session, temporal_env: object) -> None:
    from temporalio.worker import Worker

    from activities.system import check_dependencies
    from db.engine import sync_engine
    from db.settings_cache import publish_invalidation
    from infra.temporal_client import connect
    from workflows.queues import Queue
    from workflows.system import SystemCheckWorkflow

    world = build_world(db_session)

    def token_of(who: str) -> str:
        with Session(sync_engine()) as db:
            return world.token(db, who)

    client = await connect()
    paused_before = await _paused_schedules(client)
    started = datetime.now(UTC)
    # the system check waits for its workflow, so that workflow has a worker; nothing else
    # has one: a started job stays queued instead of calling Shoptet or running pg_dump
    workers = [
        Worker(client, task_queue=Queue.SYSTEM.value, workflows=[SystemCheckWorkflow],
               activities=[check_dependencies])
    ]
    tasks = [asyncio.create_task(w.run()) for w in workers]
    saved = db_session.execute(
        text("SELECT id, value::text AS value FROM app_settings WHERE shop_id IS NULL")
    ).all()
    report = Report()
    try:
        async with running_api() as url:
            operations = await asyncio.to_thread(fuzz_api, world, url, token_of, EXAMPLES, report, SEED)
            await asyncio.to_thread(fuzz_webhooks, world, url, WEBHOOK_EXAMPLES, report, SEED)
    finally:
        await asyncio.gather(*(w.shutdown() for w in workers), return_exceptions=True)
        await asyncio.gather(*tasks, return_exceptions=True)
        # the admin fuzzed the app settings: later tests see the settings they started with
        db_session.execute(
            text("DELETE FROM app_settings WHERE shop_id IS NULL AND id <> ALL(:ids)"),
            {"ids": [r.id for r in saved]},
        )
        for row in saved:
            db_session.execute(
                text("UPDATE app_settings SET value = CAST(:value AS jsonb) WHERE id = :id"),
                {"id": row.id, "value": row.value},
            )
        db_session.commit()
        publish_invalidation()
        await _undo_temporal(client, started, paused_before)
    summary = f"operations={operations}\n{report.summary()}"
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text(summary + "\n")
    print(summary)
    assert operations >= 50  # the schema is read whole, not a part of it
    assert report.cases >= operations * EXAMPLES
    assert not report.server_errors, "\n".join(report.server_errors[:20])
