"""Seeded database problems show up with the right state, and critical ones raise one alert.

Each test seeds one problem in the session database (rows in a default partition, a stale
backup, a transaction left open, a long query), reads the report the API serves, and cleans up.
Thresholds that PgHero sets in minutes are lowered through the `monitoring.thresholds`
setting, as ops would, so a test waits seconds instead.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from db.app_settings import set_setting
from db.engine import libpq_url, session_scope
from infra.monitoring import alerts
from infra.monitoring.report import build_report
from tests.monitoring.conftest import check


async def report() -> dict[str, Any]:
    return (await build_report(None, "Temporal is not needed here")).as_dict()


@pytest.fixture
async def thresholds() -> AsyncIterator[Any]:
    async def _set(value: dict[str, Any]) -> None:
        async with session_scope() as session:
            await set_setting(session, "monitoring.thresholds", value)

    yield _set
    await _set({})


@pytest.fixture
def clean_alerts() -> Iterator[None]:
    yield
    with psycopg.connect(libpq_url(), autocommit=True) as conn:
        conn.execute("DELETE FROM monitoring_alerts")
        conn.execute("DELETE FROM notifications WHERE kind LIKE 'monitoring.%'")
        conn.execute("DELETE FROM monitoring_check_states")


def _sql(statement: str, *params: Any) -> None:
    with psycopg.connect(libpq_url(), autocommit=True) as conn:
        conn.execute(statement, params)


async def test_rows_in_a_default_partition_are_critical_and_raise_one_alert_until_moved(clean_alerts: None) -> None:
    far = datetime(2099, 5, 1, tzinfo=UTC)
    _sql("INSERT INTO orders (shop_id, code, created_at, total_with_vat) VALUES (1, 'DEF-1', %s, 10), (1, 'DEF-2', %s, 5)", far, far)
    try:
        seeded = await report()
        found = check(seeded, "default_partition_rows")
        assert found["state"] == "critical" and found["value"] == 2
        assert "orders_default (2)" in found["summary"]
        assert found["rows"] == [{"partition": "orders_default", "table": "orders", "rows": 2, "capped": False}]

        now = datetime.now(UTC)
        results = (await build_report(None, "not needed")).checks
        first = await alerts.apply(results, now)
        again = await alerts.apply(results, now + timedelta(minutes=1))
        assert "default_partition_rows" in first.opened
        assert "default_partition_rows" not in again.opened  # deduplicated: one open alert per check
        with psycopg.connect(libpq_url()) as conn:
            notes = conn.execute(
                "SELECT level, title, data->>'check' FROM notifications WHERE kind = 'monitoring.alert' "
                "AND data->>'check' = 'default_partition_rows'"
            ).fetchall()
        assert len(notes) == 1 and notes[0][0] == "critical" and "orders_default" in notes[0][1]
    finally:
        _sql("DELETE FROM orders WHERE shop_id = 1 AND code IN ('DEF-1', 'DEF-2')")
    moved = await build_report(None, "not needed")
    assert check(moved.as_dict(), "default_partition_rows")["state"] == "ok"
    resolved = await alerts.apply(moved.checks, datetime.now(UTC) + timedelta(minutes=2))
    assert "default_partition_rows" in resolved.resolved
    with psycopg.connect(libpq_url()) as conn:
        open_alerts = conn.execute(
            "SELECT count(*) FROM monitoring_alerts WHERE check_name = 'default_partition_rows' AND resolved_at IS NULL"
        ).fetchone()
        resolved_notes = conn.execute(
            "SELECT count(*) FROM notifications WHERE kind = 'monitoring.resolved' AND data->>'check' = 'default_partition_rows'"
        ).fetchone()
    assert open_alerts == (0,) and resolved_notes == (1,)


@pytest.mark.parametrize(
    ("hours_ago", "state"), [(27, "critical"), (25.5, "warn"), (3, "ok")], ids=["stale", "late", "fresh"]
)
async def test_backup_age_by_the_26_hour_rule(hours_ago: float, state: str) -> None:
    finished = datetime.now(UTC) - timedelta(hours=hours_ago)
    name = f"monitoring-test-{hours_ago}.dump"
    _sql("UPDATE backups SET status = 'deleted' WHERE status = 'completed'")  # other suites' backups
    _sql(
        "INSERT INTO backups (name, status, storage, database, started_at, finished_at, verify_status, verified_at) "
        "VALUES (%s, 'completed', 'dir:/tmp', 'shopops', %s, %s, 'passed', %s)",
        name, finished - timedelta(minutes=5), finished, finished,
    )
    try:
        seeded = await report()
        age = check(seeded, "backup_age")
        assert age["state"] == state, age
        assert age["value"] == pytest.approx(hours_ago, abs=0.05)
        assert check(seeded, "backup_verify")["state"] == "ok"
    finally:
        _sql("DELETE FROM backups WHERE name = %s", name)


async def test_a_failed_restore_verification_is_critical() -> None:
    now = datetime.now(UTC)
    _sql(
        "INSERT INTO backups (name, status, storage, database, started_at, finished_at, verify_status, verified_at) "
        "VALUES ('monitoring-corrupt.dump', 'completed', 'dir:/tmp', 'shopops', %s, %s, 'corrupt', %s)",
        now, now, now,
    )
    try:
        verify = check(await report(), "backup_verify")
        assert verify["state"] == "critical" and "corrupt" in verify["summary"]
    finally:
        _sql("DELETE FROM backups WHERE name = 'monitoring-corrupt.dump'")


async def test_a_transaction_left_open_is_reported_idle_in_transaction(thresholds: Any) -> None:
    await thresholds({"idle_in_transaction": {"warn": 1, "critical": 30}})
    with psycopg.connect(libpq_url(), application_name="forgotten-transaction") as conn:
        conn.execute("SELECT count(*) FROM shops")  # opens the transaction, then nothing
        await asyncio.sleep(1.5)
        idle = check(await report(), "idle_in_transaction")
        conn.rollback()
    assert idle["state"] == "warn", idle
    assert idle["value"] >= 1.5
    assert [r["source"] for r in idle["rows"]] == ["forgotten-transaction"]
    assert "count(*) FROM shops" in idle["rows"][0]["query"]
    assert check(await report(), "idle_in_transaction")["state"] == "ok"


async def test_a_long_running_query_is_reported(thresholds: Any) -> None:
    await thresholds({"long_running_queries": {"warn": 1, "critical": 2.5}})

    def sleeper() -> None:
        with psycopg.connect(libpq_url(), application_name="slow-report") as conn:
            conn.execute("SELECT pg_sleep(4)")

    thread = threading.Thread(target=sleeper)
    thread.start()
    try:
        await asyncio.sleep(1.3)
        warn = check(await report(), "long_running_queries")
        await asyncio.sleep(1.5)
        critical = check(await report(), "long_running_queries")
    finally:
        thread.join()
    assert warn["state"] == "warn" and warn["rows"][0]["source"] == "slow-report"
    assert critical["state"] == "critical" and critical["value"] >= 2.5
    assert "pg_sleep" in critical["rows"][0]["query"]


async def test_every_check_has_a_state_and_the_database_part_answers_quickly() -> None:
    await report()  # warm the pool
    started = time.perf_counter()
    seeded = await report()
    elapsed = (time.perf_counter() - started) * 1000
    assert {c["state"] for c in seeded["checks"]} <= {"ok", "warn", "critical", "unavailable"}
    queue = check(seeded, "queue_wait")
    assert queue["state"] == "unavailable" and "Temporal" in queue["summary"]
    assert seeded["parts"]["database"]["connections"]["total"] >= 1
    assert elapsed < 2000, f"the report took {elapsed:.0f} ms on an almost empty database"


@pytest.mark.parametrize(("hours_ago", "status", "state"), [(30, "completed", "warn"), (60, "completed", "critical"), (2, "failed", "warn"), (2, "completed", "ok")])
async def test_maintenance_last_run_age_and_failures(hours_ago: float, status: str, state: str) -> None:
    started = datetime.now(UTC) - timedelta(hours=hours_ago)
    _sql(
        "INSERT INTO maintenance_runs (kind, workflow_id, run_id, status, started_at, finished_at) "
        "VALUES ('partitions', 'maint:partitions', %s, %s, %s, %s)",
        f"test-{hours_ago}-{status}", status, started, started + timedelta(minutes=1),
    )
    try:
        age = check(await report(), "maintenance_age")
        assert age["state"] == state, age
        assert age["value"] == pytest.approx(hours_ago, abs=0.05)
    finally:
        _sql("DELETE FROM maintenance_runs WHERE run_id LIKE 'test-%%'")


def _flushed(*statements: str) -> None:
    """Run statements and flush this backend's statistics before returning, so the report that
    follows reads n_live_tup / n_dead_tup deterministically (PG 15: pg_stat_force_next_flush)."""
    with psycopg.connect(libpq_url(), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)
        conn.execute("SELECT pg_stat_force_next_flush()")
        conn.execute("SELECT 1")  # the forced flush happens when the backend goes idle, before this answers


async def test_rows_are_counted_before_any_analyze_and_a_partitioned_parent_sums_its_partitions() -> None:
    _sql("DROP TABLE IF EXISTS mon_rows_plain, mon_rows_parted")
    _sql("CREATE TABLE mon_rows_plain (id int) WITH (autovacuum_enabled = false)")
    _sql("CREATE TABLE mon_rows_parted (id int) PARTITION BY RANGE (id)")
    _sql("CREATE TABLE mon_rows_parted_low PARTITION OF mon_rows_parted FOR VALUES FROM (0) TO (1000) WITH (autovacuum_enabled = false)")
    _sql("CREATE TABLE mon_rows_parted_high PARTITION OF mon_rows_parted FOR VALUES FROM (1000) TO (5000) WITH (autovacuum_enabled = false)")
    try:
        # never analyzed: reltuples is -1, which the page used to read as 0 rows
        _flushed(
            "INSERT INTO mon_rows_plain SELECT generate_series(1, 1234)",
            "INSERT INTO mon_rows_parted SELECT generate_series(0, 2999)",
        )
        sizes = {s["table"]: s for s in (await report())["parts"]["database"]["sizes"]}
        assert sizes["mon_rows_plain"]["rows"] == 1234
        assert sizes["mon_rows_parted_low"]["rows"] == 1000 and sizes["mon_rows_parted_high"]["rows"] == 2000
        assert sizes["mon_rows_parted"]["rows"] == 3000 and sizes["mon_rows_parted"]["partitioned"]
        assert sizes["mon_rows_parted"]["bytes"] == sizes["mon_rows_parted_low"]["bytes"] + sizes["mon_rows_parted_high"]["bytes"]

        # the hourly snapshot the growth figures come from stores the same counts
        from activities.monitoring import _SIZES

        captured = datetime(2001, 1, 1, tzinfo=UTC)  # apart from real captures, and removed after
        async with session_scope() as session:
            from sqlalchemy import text

            await session.execute(text(_SIZES), {"now": captured})
            stored = dict((await session.execute(text(
                "SELECT table_name, rows FROM monitoring_table_sizes WHERE table_name LIKE 'mon_rows_%'"
            ))).all())
            await session.execute(text("DELETE FROM monitoring_table_sizes WHERE captured_at = :at"), {"at": captured})
        assert stored == {"mon_rows_plain": 1234, "mon_rows_parted": 3000, "mon_rows_parted_low": 1000, "mon_rows_parted_high": 2000}
    finally:
        _sql("DROP TABLE IF EXISTS mon_rows_plain, mon_rows_parted")


async def test_the_dead_rows_check_names_its_table(clean_alerts: None, thresholds: Any) -> None:
    _sql("DROP TABLE IF EXISTS mon_dead_rows")
    # earlier suites' deletions (a million exported items cleaned up) must not outrank this table
    _flushed("VACUUM")
    _sql("CREATE TABLE mon_dead_rows (id int) WITH (autovacuum_enabled = false)")
    try:
        _flushed("INSERT INTO mon_dead_rows SELECT generate_series(1, 20000)", "DELETE FROM mon_dead_rows WHERE id > 5000")
        dead = check(await report(), "dead_rows")
        assert dead["state"] == "critical", dead  # 15 000 dead to 5 000 live: ratio 3
        assert dead["summary"].startswith("mon_dead_rows: 15,000 dead to 5,000 live rows (ratio 3.00)"), dead["summary"]
        assert dead["rows"][0]["table"] == "mon_dead_rows"
        changes = await alerts.apply((await build_report(None, "not needed")).checks, datetime.now(UTC))
        assert "dead_rows" in changes.opened
        with psycopg.connect(libpq_url()) as conn:
            title, body = conn.execute(
                "SELECT title, body FROM notifications WHERE kind = 'monitoring.alert' AND data->>'check' = 'dead_rows'"
            ).fetchone()
        assert "mon_dead_rows" in title and "Value 3 ratio, critical at 1 ratio." in body
        with psycopg.connect(libpq_url()) as conn:
            title_cs, body_cs = conn.execute(
                "SELECT data->>'title_cs', data->>'body_cs' FROM notifications WHERE kind = 'monitoring.alert' "
                "AND data->>'check' = 'dead_rows'"
            ).fetchone()
        assert title_cs.startswith("dead_rows (Poměr mrtvých a živých řádků") and "mon_dead_rows: 15\u00a0000 mrtvých" in title_cs
        assert body_cs == "Hodnota 3 ratio, kritické od 1."
    finally:
        _sql("DROP TABLE IF EXISTS mon_dead_rows")


async def test_a_fresh_install_without_backups_is_not_critical_and_no_alert_reads_none(clean_alerts: None) -> None:
    _sql("DELETE FROM backups WHERE name LIKE 'monitoring-%%'")
    fresh = check(await report(), "backup_age")
    assert fresh["state"] == "warn" and fresh["value"] is None
    assert fresh["summary"].startswith("no backup yet")
    _sql(
        "INSERT INTO backups (name, status, storage, database, started_at, error) "
        "VALUES ('monitoring-failed.dump', 'failed', 'dir:/tmp', 'shopops', now(), 'pg_dump: permission denied')"
    )
    try:
        failing = check(await report(), "backup_age")
        assert failing["state"] == "critical" and "permission denied" in failing["summary"]
        await alerts.apply((await build_report(None, "not needed")).checks, datetime.now(UTC))
        with psycopg.connect(libpq_url()) as conn:
            notes = conn.execute(
                "SELECT title || ' ' || coalesce(body, '') FROM notifications WHERE kind = 'monitoring.alert'"
            ).fetchall()
        assert notes and not [n for (n,) in notes if "None" in n], notes
    finally:
        _sql("DELETE FROM backups WHERE name = 'monitoring-failed.dump'")


async def test_every_check_has_its_description_and_summary_in_czech() -> None:
    checks = (await report())["checks"]
    missing = [c["name"] for c in checks if not c["description_cs"] or not c["summary_cs"]]
    assert not missing, f"checks without Czech text: {missing}"
    backup = check({"checks": checks}, "backup_age")
    assert backup["summary_cs"].startswith("zatím žádná záloha") or backup["summary_cs"].startswith("poslední záloha")
