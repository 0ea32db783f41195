"""Slow statements come from pg_stat_statements snapshots (deltas every 5 minutes, PgHero's
20 ms / 100 calls). The session's server may not preload the extension, so this test starts a
throwaway cluster that does (initdb as the postgres OS user, a free port), migrates our schema
into it and points the process at it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest

from activities.monitoring import snapshot_database_stats
from activities.safety.backups import pg_binary
from activities.safety.pitr import _give_to_server_user, as_server_user
from infra.monitoring.report import build_report
from infra.sandbox.testing import free_port
from tests.monitoring.conftest import check

MAJOR = 15


def _run(*argv: str) -> None:
    result = subprocess.run([*as_server_user(), *argv], capture_output=True, text=True)
    assert result.returncode == 0, f"{argv[0]} failed: {result.stderr}"


@pytest.fixture(scope="module")
def stats_cluster() -> Iterator[str]:
    work = Path(tempfile.mkdtemp(prefix="shopops-stats-", dir="/tmp"))
    work.chmod(0o755)
    _give_to_server_user(work)
    data, port = work / "data", free_port()
    _run(pg_binary("initdb", MAJOR, exact=True), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync")
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(
            f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{data}'\n"
            "shared_preload_libraries = 'pg_stat_statements'\nfsync = off\n"
        )
    _run(pg_binary("pg_ctl", MAJOR, exact=True), "-D", str(data), "-l", str(work / "log"), "-w", "start")
    try:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE shopops_stats")
        url = f"postgresql://postgres@127.0.0.1:{port}/shopops_stats"
        from db import migrate

        migrate.upgrade(url)
        yield url
    finally:
        subprocess.run([*as_server_user(), pg_binary("pg_ctl", MAJOR, exact=True), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
async def on_stats_cluster(stats_cluster: str) -> AsyncIterator[str]:
    from db.config import get_settings
    from db.engine import dispose_engines

    before = os.environ["DATABASE_URL"]
    os.environ["DATABASE_URL"] = stats_cluster.replace("postgresql://", "postgresql+psycopg://")
    get_settings.cache_clear()
    await dispose_engines()
    try:
        yield stats_cluster
    finally:
        await dispose_engines()
        os.environ["DATABASE_URL"] = before
        get_settings.cache_clear()


async def test_a_statement_slow_over_100_calls_is_reported_from_snapshots(on_stats_cluster: str) -> None:
    first = await snapshot_database_stats()
    assert first.statements_problem is None and first.sizes > 0
    with psycopg.connect(on_stats_cluster, autocommit=True) as conn:
        for n in range(105):
            conn.execute("SELECT pg_sleep(0.021), %s::int AS order_no", (n,))
        for n in range(300):
            conn.execute("SELECT %s::int + 1 AS quick", (n,))
    second = await snapshot_database_stats()
    assert second.statements >= 2

    report = (await build_report(None, "not needed")).as_dict()
    slow = check(report, "slow_statements")
    assert slow["state"] == "warn", slow
    assert len(slow["rows"]) == 1, slow["rows"]
    row = slow["rows"][0]
    assert "pg_sleep" in row["query"] and row["calls"] == 105 and row["mean_ms"] >= 21
    assert slow["value"] == pytest.approx(row["mean_ms"])
    with psycopg.connect(on_stats_cluster) as conn:
        quick = conn.execute("SELECT calls FROM monitoring_statements WHERE query LIKE '%AS quick%'").fetchall()
    assert quick == [(300,)]  # snapshotted as a delta, but fast: not reported

    third = await snapshot_database_stats()  # nothing new: no new delta for either statement
    with psycopg.connect(on_stats_cluster) as conn:
        repeats = conn.execute(
            "SELECT count(*) FROM monitoring_statements WHERE query LIKE '%pg_sleep%'"
        ).fetchone()
    assert repeats == (1,) and third.sizes == 0  # sizes are taken hourly, not every 5 minutes
