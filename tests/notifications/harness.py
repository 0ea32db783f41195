"""Helpers of the notification tests: raise notifications, drain the deliveries through the
real workflow, and keep a history of each new workflow for the replay test."""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from temporalio.client import WorkflowHandle

from db.engine import session_scope
from db.notify import notify
from infra.temporal_client import connect
from workflows.notifications import DeliveryRequest, DeliveryResult, NotificationDeliveryWorkflow
from workflows.queues import Queue

HISTORIES = Path(__file__).resolve().parent / "histories"


async def record_history(handle: WorkflowHandle[Any, Any], name: str) -> None:
    """Store a run's history for the replay test (when missing, or SHOPOPS_RECORD_HISTORIES=1)."""
    path = HISTORIES / f"{name}.json"
    if os.environ.get("SHOPOPS_RECORD_HISTORIES") or not path.exists():
        HISTORIES.mkdir(exist_ok=True)
        path.write_text((await handle.fetch_history()).to_json())


async def raise_note(shop_id: int | None, at: datetime, key: str | None = None, n: int = 0,
                     kind: str = "snapshot.rejects", level: str = "warning") -> None:
    async with session_scope() as session:
        await notify(
            session, level=level, kind=kind, shop_id=shop_id, key=key, at=at,
            title=f"Snapshot {n} finished with rejected lines",
            title_cs=f"Snímek {n} skončil s odmítnutými řádky",
        )


async def deliver(at: datetime, record: str | None = None) -> DeliveryResult:
    client = await connect()
    handle = await client.start_workflow(
        NotificationDeliveryWorkflow.run,
        DeliveryRequest(at=at.isoformat()),
        id=f"test:deliver:{secrets.token_hex(4)}",
        task_queue=Queue.NOTIFICATIONS.value,
    )
    result = await handle.result()
    if record:
        await record_history(handle, record)
    return result
