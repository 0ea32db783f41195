"""Concurrent backups never collide: on-demand requests join one dump at a time, and runs that
start in the same second (a schedule and a click) write files of their own."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.config import get_settings
from db.models import Backup
from tests.support import login
from workflows.queues import Queue
from workflows.safety.backups import ON_DEMAND_ID, BackupRequest, BackupWorkflow


def _stored_ok(db: Session, name: str) -> Backup:
    db.expire_all()
    row = db.execute(select(Backup).where(Backup.name == name)).scalar_one()
    stored = get_settings().backup_dir / name
    assert row.status == "completed" and row.error is None, (row.status, row.error)
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == row.sha256
    return row


async def test_24_backup_requests_at_once_join_one_dump_at_a_time(worker, api, make_user, db_session: Session) -> None:  # type: ignore[no-untyped-def]
    from infra.temporal_client import connect

    user, password = make_user(role="admin")
    await login(api, user.email, password)
    before = {b.name for b in db_session.execute(select(Backup)).scalars()}
    answers = await asyncio.gather(*(api.post("/api/admin/backups?verify=false") for _ in range(24)))
    assert [a.status_code for a in answers] == [202] * 24, [a.text for a in answers if a.status_code != 202]
    assert {a.json()["workflow_id"] for a in answers} == {ON_DEMAND_ID}
    runs = {a.json()["run_id"] for a in answers}
    assert len(runs) < 24  # requests joined a running dump instead of starting their own

    client = await connect()
    reports, spans = [], []
    for run_id in runs:
        handle = client.get_workflow_handle(ON_DEMAND_ID, run_id=run_id)
        reports.append(await handle.result())
        desc = await handle.describe()
        spans.append((desc.start_time, desc.close_time))
    spans.sort()
    assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(spans)), spans  # one at a time
    names = [r["dump"]["name"] for r in reports]
    assert len(set(names)) == len(runs)
    for name in names:
        _stored_ok(db_session, name)
    db_session.expire_all()
    created = {b.name for b in db_session.execute(select(Backup)).scalars()} - before
    assert created == set(names)  # one dump per run, none failed
    assert not list((get_settings().backup_dir / ".staging").glob("shopops-*"))  # nothing left behind


async def test_runs_started_in_the_same_second_write_their_own_files(worker, db_session: Session) -> None:  # type: ignore[no-untyped-def]
    """A scheduled dump and an on-demand one at the same second: both complete, apart."""
    from infra.temporal_client import connect

    client = await connect()
    handles = await asyncio.gather(
        *(
            client.start_workflow(
                BackupWorkflow.run,
                BackupRequest(verify=False),
                id=f"test-backup-same-second-{uuid.uuid4().hex}",
                task_queue=Queue.MAINTENANCE.value,
            )
            for _ in range(3)
        )
    )
    reports = await asyncio.gather(*(h.result() for h in handles))
    names = [r.dump.name for r in reports if r.dump]
    assert len(names) == 3 and len(set(names)) == 3, names
    for name in names:
        _stored_ok(db_session, name)
