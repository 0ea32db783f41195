"""Retention: each kind loses exactly what is older than its setting, in batches; files too."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from db.app_settings import set_setting
from db.config import get_settings
from db.engine import session_scope
from db.models import Notification, SnapshotReject, SnapshotRun, WebhookEvent
from tests.safety.support import keep_history
from tests.support import MakeShop
from workflows.queues import Queue
from workflows.safety.cleanup import CleanupWorkflow


def _ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def _file(path: Path, days_old: float) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * 100)
    stamp = time.time() - days_old * 86400
    os.utime(path, (stamp, stamp))
    return str(path)


async def test_cleanup_deletes_only_what_is_past_each_retention(
    worker: list[object], db_session: Session, make_shop: MakeShop, tmp_path: Path
) -> None:
    from infra.temporal_client import connect

    shop = make_shop()
    db_session.execute(text("DELETE FROM notifications"))
    db_session.add_all(
        Notification(level="info", kind="cleanup-test", title=f"old {n}", created_at=_ago(31))
        for n in range(250)
    )
    db_session.add(
        Notification(level="info", kind="cleanup-test", title="young", created_at=_ago(29))
    )
    db_session.add_all(
        WebhookEvent(
            shop_id=shop.id,
            raw_body=b"{}",
            status="received",
            received_at=_ago(days),
            event=f"e{days}",
        )
        for days in (45, 8)
    )
    snapshots = get_settings().snapshot_dir
    old_file = _file(snapshots / "old.jsonl.gz", 20)
    young_file = _file(snapshots / "young.jsonl.gz", 5)
    running_file = _file(snapshots / "running.jsonl.gz", 30)
    stray_old = _file(snapshots / "stray" / "left-behind.gz", 20)
    stray_young = _file(snapshots / "stray" / "fresh.gz", 1)
    outside = _file(tmp_path / "not-ours.gz", 60)
    runs = [
        SnapshotRun(
            shop_id=shop.id,
            resource="orders",
            workflow_id=f"cl-{shop.id}-1",
            status="completed",
            file_path=old_file,
            finished_at=_ago(20),
        ),
        SnapshotRun(
            shop_id=shop.id,
            resource="products",
            workflow_id=f"cl-{shop.id}-2",
            status="completed",
            file_path=young_file,
            finished_at=_ago(5),
        ),
        SnapshotRun(
            shop_id=shop.id,
            resource="customers",
            workflow_id=f"cl-{shop.id}-3",
            status="running",
            file_path=running_file,
            requested_at=_ago(30),
        ),
        SnapshotRun(
            shop_id=shop.id,
            resource="orders",
            workflow_id=f"cl-{shop.id}-4",
            status="failed",
            file_path=outside,
            finished_at=_ago(60),
        ),
    ]
    db_session.add_all(runs)
    db_session.flush()
    db_session.add_all(
        SnapshotReject(
            run_id=runs[0].id,
            line_no=n,
            shop_id=shop.id,
            raw="{",
            reason="bad",
            created_at=_ago(days),
        )
        for n, days in ((1, 100), (2, 100), (3, 10))
    )
    db_session.commit()
    async with session_scope() as session:
        await set_setting(session, "retention.notifications_days", 30)
        await set_setting(session, "retention.webhook_events_days", 30)
        await set_setting(session, "retention.snapshot_files_days", 14)
        await set_setting(session, "retention.snapshot_rejects_days", 90)
        await set_setting(session, "cleanup.batch_size", 100)

    client = await connect()
    handle = await client.start_workflow(
        CleanupWorkflow.run, id=f"test-cleanup-{shop.id}", task_queue=Queue.MAINTENANCE.value
    )
    report = await handle.result()
    await keep_history(handle, "cleanup_workflow")

    by_kind = {r.kind: r for r in report.results}
    assert by_kind["notifications"].deleted == 250 and by_kind["notifications"].batches == 3
    assert by_kind["webhook_events"].deleted == 1
    assert by_kind["snapshot_rejects"].deleted == 2
    assert by_kind["snapshot_files"].deleted == 2  # the finished run's file and the stray one
    db_session.expire_all()
    assert [n.title for n in db_session.execute(select(Notification)).scalars()] == ["young"]
    assert db_session.execute(
        select(WebhookEvent.event).where(WebhookEvent.shop_id == shop.id)
    ).scalars().all() == ["e8"]
    assert db_session.execute(
        select(func.count()).select_from(SnapshotReject).where(SnapshotReject.shop_id == shop.id)
    ).scalar_one() == 1  # other suites' rejects may share the database
    assert not os.path.exists(old_file) and not os.path.exists(stray_old)
    assert all(os.path.exists(p) for p in (young_file, running_file, stray_young, outside))
    paths = dict(
        db_session.execute(
            select(SnapshotRun.workflow_id, SnapshotRun.file_path).where(
                SnapshotRun.shop_id == shop.id
            )
        ).all()
    )
    assert paths[f"cl-{shop.id}-1"] is None and paths[f"cl-{shop.id}-2"] == young_file
    assert paths[f"cl-{shop.id}-4"] == outside  # never ours to delete, so still pointed at
