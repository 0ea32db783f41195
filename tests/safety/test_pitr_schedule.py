"""The scheduled PITR run on a throwaway archiving cluster: base backups when due, rotation that
drops only WAL no kept base backup needs (the oldest kept one still restores), and the checks
monitoring shows for archiving: failing archive_command is critical, no archiving is said plainly.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from activities.safety.pitr import PitrPaths, restore_to
from db.engine import libpq_url, session_scope, sqlalchemy_url
from infra.monitoring.checks import evaluate
from infra.monitoring.database import CHECKS, archiver_state
from infra.monitoring.report import build_report
from infra.sandbox.testing import free_port
from tests.monitoring.conftest import check
from tests.safety.support import keep_history
from tests.safety.test_pitr import _shopops, source, workdir  # noqa: F401  (fixtures)
from tests.support import app_env, scalar
from workflows.queues import Queue
from workflows.safety.pitr import PitrBaseBackupWorkflow, PitrBaseRequest, PitrReport


@pytest.fixture
def pitr_env(workdir: Path, source: str) -> Iterator[Path]:  # noqa: F811
    """Point the app's PITR run at the throwaway cluster and a PITR root beside it."""
    root = workdir / "pitr"
    with app_env(PITR_DIR=str(root), PITR_SOURCE_URL=source):
        yield root
    with psycopg.connect(libpq_url(), autocommit=True) as conn:
        conn.execute("DELETE FROM pitr_base_backups")


async def _run(force: bool = False, history: str | None = None) -> PitrReport:
    from infra.temporal_client import connect

    client = await connect()
    handle = await client.start_workflow(
        PitrBaseBackupWorkflow.run,
        PitrBaseRequest(force=force),
        id=f"test-pitr-base-{datetime.now(UTC):%H%M%S%f}",
        task_queue=Queue.MAINTENANCE.value,
    )
    report = await handle.result()
    if history:
        await keep_history(handle, history)
    return report


def _write_and_archive(source: str, paths: PitrPaths, label: str) -> datetime:  # noqa: F811
    """Insert a row, switch WAL and wait until its segment is archived; returns the commit time."""
    with psycopg.connect(source, autocommit=True) as conn:
        conn.execute("INSERT INTO moments (label) VALUES (%s)", [label])
        at: datetime = scalar(conn, "SELECT clock_timestamp()")
        segment = scalar(conn, "SELECT pg_walfile_name(pg_switch_wal())")
    deadline = time.monotonic() + 30
    while not (paths.wal / segment).exists():
        assert time.monotonic() < deadline, f"WAL segment {segment} was not archived"
        time.sleep(0.1)
    return at


async def _archiver(url: str) -> dict[str, Any]:
    """What monitoring reads of WAL archiving, read from the throwaway archiving cluster."""
    engine = create_async_engine(sqlalchemy_url(url))
    try:
        async with AsyncSession(engine) as session:
            return await archiver_state(session)
    finally:
        await engine.dispose()


def _rows() -> list[tuple[str, str]]:
    with psycopg.connect(libpq_url()) as conn:
        return [(r[0], r[1]) for r in conn.execute("SELECT label, status FROM pitr_base_backups ORDER BY label")]


def _segments(paths: PitrPaths) -> list[str]:
    return sorted(p.name for p in paths.wal.iterdir() if len(p.name) == 24)


async def test_base_backups_are_taken_when_due_rotated_and_the_oldest_kept_still_restores(
    worker: Any, pitr_env: Path, source: str  # noqa: F811
) -> None:
    paths = PitrPaths(pitr_env)
    _shopops(source, "pitr", "setup", "--pitr-dir", str(pitr_env))
    with psycopg.connect(source, autocommit=True) as conn:
        conn.execute("CREATE TABLE moments (label text PRIMARY KEY)")

    first = await _run(history="pitr_base_backup_workflow")
    assert first.plan.archiving and first.plan.due and "no base backup yet" in first.plan.reason
    assert first.base is not None and first.base.start_wal and first.base.bytes > 0
    assert _rows() == [(first.base.label, "completed")]

    again = await _run()  # the daily schedule the next day: the newest is fresh, nothing to take
    assert again.plan.due is False and again.base is None and "one every 7 days" in again.plan.reason
    assert len(_rows()) == 1

    _write_and_archive(source, paths, "before-second")
    second = await _run(force=True)
    assert second.base is not None
    middle = _write_and_archive(source, paths, "after-second")
    third = await _run(force=True)
    assert third.base is not None and third.pruned is not None

    # keep 2 (the default): the first base backup and the WAL only it needed are gone
    assert third.pruned.deleted == [first.base.label]
    assert third.pruned.kept == [third.base.label, second.base.label]
    assert third.pruned.oldest_needed_wal == second.base.start_wal
    assert third.pruned.wal_removed > 0
    assert not Path(pitr_env / "base" / first.base.label).exists()
    assert dict(_rows()) == {first.base.label: "deleted", second.base.label: "completed", third.base.label: "completed"}
    left = _segments(paths)
    assert left[0] == second.base.start_wal, "every segment before the oldest kept backup's start goes"

    # …and every segment the oldest kept one needs stayed: it restores to a moment before the third
    # (recovery must see a commit after the target to stop there, so one more row goes in)
    _write_and_archive(source, paths, "after-third")
    port = free_port()
    cluster = restore_to(middle, paths, port, data_dir=pitr_env.parent / "restored")
    assert cluster.base_backup == second.base.label
    with psycopg.connect(cluster.dsn) as conn:
        labels = [r[0] for r in conn.execute("SELECT label FROM moments ORDER BY label")]
    assert labels == ["after-second", "before-second"]

    # monitoring, reading the archiving server: archiving works, the newest base backup is fresh
    archiver = await _archiver(source)
    async with session_scope() as session:
        from infra.monitoring.database import newest_base_backup

        newest = await newest_base_backup(session, datetime.now(UTC))
    data = {"pitr": {**archiver, **newest}}
    by_name = {c.name: c for c in CHECKS}
    assert evaluate(by_name["wal_archiving"], data, {}).state == "ok"
    age = evaluate(by_name["pitr_base_age"], data, {})
    assert age.state == "ok" and third.base.label in age.summary


async def test_base_backups_taken_by_hand_are_adopted_and_vanished_ones_forgotten(
    worker: Any, pitr_env: Path, source: str  # noqa: F811
) -> None:
    _shopops(source, "pitr", "setup", "--pitr-dir", str(pitr_env))
    by_hand = _shopops(source, "pitr", "base-backup", "--pitr-dir", str(pitr_env))
    assert '"start_wal": "0000' in by_hand
    report = await _run()
    assert report.base is None, "the base backup taken by hand is recent: none is due"
    [(label, status)] = _rows()
    assert status == "completed" and label in by_hand

    import shutil

    shutil.rmtree(pitr_env / "base" / label)  # someone removed it on the host
    report = await _run()
    assert report.base is not None and "no base backup yet" in report.plan.reason
    assert dict(_rows()) == {label: "deleted", report.base.label: "completed"}


async def test_without_wal_archiving_the_run_does_nothing_and_monitoring_says_why(worker: Any) -> None:
    with psycopg.connect(libpq_url()) as conn:
        assert conn.execute("SHOW archive_mode").fetchone() == ("off",)  # the test server
    report = await _run()
    assert report.plan.archiving is False and report.base is None and report.pruned is None
    assert "archive_mode=off" in report.plan.reason
    assert _rows() == []
    seen = (await build_report(None, "not needed")).as_dict()
    for name in ("wal_archiving", "pitr_base_age"):
        found = check(seen, name)
        assert found["state"] == "unavailable" and "point-in-time recovery is not set up" in found["summary"]


async def test_a_failing_archive_command_is_critical_until_it_archives_again(
    workdir: Path, source: str  # noqa: F811
) -> None:
    by_name = {c.name: c for c in CHECKS}

    async def state() -> tuple[str, dict[str, Any]]:
        archiver = await _archiver(source)
        data = {"pitr": {**archiver, "newest_base": None, "base_interval_days": 7}}
        return evaluate(by_name["wal_archiving"], data, {}).state, archiver

    def switch_until(done: Any) -> dict[str, Any]:
        deadline = time.monotonic() + 60
        with psycopg.connect(source, autocommit=True) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS churn (n int)")
            while True:
                conn.execute("INSERT INTO churn VALUES (1)")
                conn.execute("SELECT pg_switch_wal()")
                row = conn.execute(
                    "SELECT failed_count, last_failed_time, last_archived_time FROM pg_stat_archiver"
                ).fetchone()
                if row is not None and done(row):
                    return {"failed": row[0]}
                assert time.monotonic() < deadline, row
                time.sleep(0.3)

    def set_command(command: str) -> None:
        with psycopg.connect(source, autocommit=True) as conn:
            conn.execute(f"ALTER SYSTEM SET archive_command = '{command}'")
            conn.execute("SELECT pg_reload_conf()")

    set_command("false")
    switch_until(lambda r: r[0] > 0)
    seen, archiver = await state()
    assert seen == "critical" and archiver["failing"] and archiver["failed_count"] > 0

    set_command("/bin/true")
    switch_until(lambda r: r[2] is not None and (r[1] is None or r[2] > r[1]))
    seen, archiver = await state()
    assert seen == "ok" and not archiver["failing"]
