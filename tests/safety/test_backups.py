"""Backups: dump → restore gives identical row counts; corruption and retention; tool lookup."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from activities.safety import backups
from activities.safety.backup_storage import default_storage
from db.app_settings import set_setting
from db.config import get_settings
from db.engine import session_scope
from db.models import Backup, Notification
from tests.conftest import ADMIN_DSN
from tests.safety.support import keep_history, seed_orders, utc
from tests.support import MakeShop
from workflows.queues import Queue
from workflows.safety.backups import BackupRequest, BackupWorkflow, DumpRequest, VerifyRequest


def _scratch_databases() -> list[str]:
    with psycopg.connect(ADMIN_DSN) as conn:
        rows = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'shopops_verify_%'")
        return [r[0] for r in rows]


async def test_backup_restores_to_identical_row_counts(
    worker: list[object], db_session: Session, make_shop: MakeShop
) -> None:
    from infra.temporal_client import connect

    shop = make_shop()
    seed_orders(db_session, shop.id, 30, utc(2024, 2, 10), prefix="B")
    seed_orders(db_session, shop.id, 20, utc(2025, 7, 1), prefix="C")
    client = await connect()
    handle = await client.start_workflow(
        BackupWorkflow.run,
        BackupRequest(verify=True),
        id=f"test-backup-{datetime.now(UTC):%H%M%S%f}",
        task_queue=Queue.MAINTENANCE.value,
    )
    report = await handle.result()
    await keep_history(handle, "backup_workflow")

    assert report.dump is not None and report.verify is not None
    assert report.verify.status == "passed", report.verify
    assert report.verify.mismatches == {}
    assert report.verify.tables == report.dump.tables > 50  # partitions counted one by one
    row = db_session.execute(select(Backup).where(Backup.id == report.dump.backup_id)).scalar_one()
    assert row.status == "completed" and row.verify_status == "passed"
    # Counts are per table (partition), which other suites' shops share in one session: the
    # backup counted exactly the rows each partition holds, this shop's seeded rows among them.
    for table, seeded in (("orders_2024q1", 30), ("order_items_2025q3", 40)):
        total, mine = db_session.execute(
            text(f"SELECT count(*), count(*) FILTER (WHERE shop_id = :s) FROM {table}"), {"s": shop.id}
        ).one()
        assert mine == seeded
        assert row.table_counts[f"public.{table}"] == total
    stored = get_settings().backup_dir / report.dump.name
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == row.sha256
    sidecar = stored.with_name(stored.name + ".sha256").read_text()
    assert sidecar.split() == [row.sha256, report.dump.name]
    assert _scratch_databases() == []


async def test_a_corrupted_backup_is_detected_by_its_checksum(db_session: Session) -> None:
    dump = await backups.create_backup(DumpRequest("shopops-corrupt-test.dump"))
    path = get_settings().backup_dir / dump.name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))

    result = await backups.verify_backup(VerifyRequest(dump.backup_id))

    assert result.status == "corrupt"
    assert "checksum mismatch" in (result.error or "")
    row = db_session.get(Backup, dump.backup_id)
    assert row is not None and row.verify_status == "corrupt"
    # (other tests of the session raise this kind too: ours names our dump)
    [alert] = [
        n
        for n in db_session.execute(
            select(Notification).where(Notification.kind == "backup.verify_corrupt")
        ).scalars()
        if dump.name in n.title
    ]
    assert alert.level == "critical"
    assert _scratch_databases() == []  # never restored


async def test_retention_deletes_only_backups_older_than_the_setting(db_session: Session) -> None:
    db_session.execute(update(Backup).values(status="deleted"))  # earlier tests' backups
    db_session.commit()
    storage = default_storage()
    now = datetime.now(UTC)
    ages = {"r-40d": 40, "r-31d": 31, "r-29d": 29, "r-1d": 1}
    for name, days in ages.items():
        source = get_settings().backup_dir / f".{name}.tmp"
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_bytes(b"dump")
        storage.put(name, source)
        db_session.add(
            Backup(
                name=name,
                status="completed",
                storage=storage.label,
                database="x",
                sha256="0" * 64,
                started_at=now - timedelta(days=days),
            )
        )
    db_session.commit()
    async with session_scope() as session:
        await set_setting(session, "backups.retention_days", 30)

    result = await backups.prune_backups()

    assert sorted(result.deleted) == ["r-31d", "r-40d"]
    assert result.kept == 2
    names = {f.name for f in storage.list()}
    assert {"r-29d", "r-1d"} <= names and not {"r-31d", "r-40d"} & names
    db_session.expire_all()
    statuses = dict(
        db_session.execute(select(Backup.name, Backup.status).where(Backup.name.like("r-%"))).all()
    )
    assert statuses == {
        "r-40d": "deleted",
        "r-31d": "deleted",
        "r-29d": "completed",
        "r-1d": "completed",
    }


async def test_the_newest_good_backup_survives_retention(db_session: Session) -> None:
    db_session.execute(update(Backup).values(status="deleted"))
    db_session.add_all(
        Backup(
            name=name,
            status="completed",
            storage="dir:x",
            database="x",
            started_at=datetime.now(UTC) - timedelta(days=days),
        )
        for name, days in (("old-90d", 90), ("old-60d", 60))
    )
    db_session.commit()
    async with session_scope() as session:
        await set_setting(session, "backups.retention_days", 30)
    result = await backups.prune_backups()
    assert result.deleted == ["old-90d"] and result.kept == 1


async def test_verification_is_due_weekly_by_default(db_session: Session) -> None:
    db_session.execute(update(Backup).values(verified_at=None))
    db_session.add(Backup(name="due-check", status="completed", storage="dir:x", database="x"))
    db_session.commit()
    newest = db_session.execute(
        text("SELECT id FROM backups WHERE name = 'due-check'")
    ).scalar_one()
    assert await backups.verification_due() == newest
    db_session.execute(
        update(Backup)
        .where(Backup.id == newest)
        .values(verified_at=datetime.now(UTC) - timedelta(days=6))
    )
    db_session.commit()
    assert await backups.verification_due() is None
    db_session.execute(
        update(Backup)
        .where(Backup.id == newest)
        .values(verified_at=datetime.now(UTC) - timedelta(days=8))
    )
    db_session.commit()
    assert await backups.verification_due() == newest


def test_a_missing_client_program_says_what_to_install() -> None:
    with pytest.raises(backups.MissingTool, match="postgresql-client-15"):
        backups.pg_binary("pg_no_such_tool", 15)


def test_pg_dump_matching_the_server_is_found() -> None:
    path = backups.pg_binary("pg_dump", 15)
    assert backups._tool_major(__import__("pathlib").Path(path)) >= 15
