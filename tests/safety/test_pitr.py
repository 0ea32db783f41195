"""Point-in-time recovery on a throwaway cluster this test starts (initdb as postgres, free port).

Row A is committed before the target time and row B after it (then the WAL segment holding B is
switched out and archived); the cluster restored to the target time has A and not B.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import psycopg
import pytest

from activities.safety.backups import pg_binary
from activities.safety.pitr import (
    PitrPaths,
    _give_to_server_user,
    as_server_user,
    restore_to,
)
from infra.sandbox.testing import free_port
from tests.support import scalar

MAJOR = 15


def _run(*argv: str) -> None:
    result = subprocess.run([*as_server_user(), *argv], capture_output=True, text=True)
    assert result.returncode == 0, f"{argv[0]} failed: {result.stderr}"


@pytest.fixture
def workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="shopops-pitr-", dir="/tmp"))
    path.chmod(0o755)
    _give_to_server_user(path)
    yield path
    for data in path.glob("**/PG_VERSION"):
        subprocess.run(
            [
                *as_server_user(),
                pg_binary("pg_ctl", MAJOR, exact=True),
                "-D",
                str(data.parent),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
        )
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def source(workdir: Path) -> str:
    """A fresh cluster with WAL archiving possible (wal_level=replica, archive_mode=on)."""
    data, port = workdir / "source", free_port()
    _run(
        pg_binary("initdb", MAJOR, exact=True),
        "-D",
        str(data),
        "-U",
        "postgres",
        "--auth=trust",
        "--no-sync",
    )
    with (data / "postgresql.conf").open("a") as conf:
        conf.write(
            f"port = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{data}'\n"
            "wal_level = replica\narchive_mode = on\nfsync = off\n"
        )
    _run(
        pg_binary("pg_ctl", MAJOR, exact=True),
        "-D",
        str(data),
        "-l",
        str(workdir / "source.log"),
        "-w",
        "start",
    )
    return f"postgresql://postgres@127.0.0.1:{port}/postgres"


def _shopops(database_url: str, *args: str) -> str:
    """Run the real `shopops` command against the throwaway cluster."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "shopops"), *args],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, f"shopops {' '.join(args)}: {result.stdout}{result.stderr}"
    return result.stdout


def test_restore_to_a_time_has_the_row_before_it_and_not_the_one_after(
    workdir: Path, source: str
) -> None:
    pitr = workdir / "pitr"
    setup = json.loads(_shopops(source, "pitr", "setup", "--pitr-dir", str(pitr)))
    assert setup["restart_needed"] == []  # archive_mode was on; the command is reloadable
    with psycopg.connect(source, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE moments (label text PRIMARY KEY, at timestamptz DEFAULT clock_timestamp())"
        )
    base = json.loads(_shopops(source, "pitr", "base-backup", "--pitr-dir", str(pitr)))
    assert (Path(base["path"]) / "base.tar.gz").exists()

    with psycopg.connect(source, autocommit=True) as conn:
        conn.execute("INSERT INTO moments (label) VALUES ('A')")
        time.sleep(0.5)
        target: datetime = scalar(conn, "SELECT clock_timestamp()")
        time.sleep(0.5)
        conn.execute("INSERT INTO moments (label) VALUES ('B')")
        segment = scalar(conn, "SELECT pg_walfile_name(pg_switch_wal())")
    paths = PitrPaths(pitr)
    deadline = time.monotonic() + 30
    while not (paths.wal / segment).exists():
        assert time.monotonic() < deadline, f"WAL segment {segment} was not archived"
        time.sleep(0.1)

    port = free_port()
    out = _shopops(
        source,
        "backup",
        "restore",
        "--at",
        target.isoformat(),
        "--pitr-dir",
        str(pitr),
        "--port",
        str(port),
        "--data-dir",
        str(workdir / "restored"),
    )
    assert f"from base backup {base['label']}" in out and f"127.0.0.1:{port}" in out

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres") as conn:
        labels = [r[0] for r in conn.execute("SELECT label FROM moments ORDER BY label")]
        assert scalar(conn, "SELECT pg_is_in_recovery()") is False
    assert labels == ["A"]
    assert "archive_mode = 'off'" in (workdir / "restored" / "postgresql.auto.conf").read_text()


def test_restore_before_any_base_backup_is_refused(workdir: Path) -> None:
    from activities.safety.pitr import PitrError

    with pytest.raises(PitrError, match="no base backup finished before"):
        restore_to(
            datetime.fromisoformat("2020-01-01T00:00:00+00:00"),
            PitrPaths(workdir / "none"),
            port=free_port(),
        )
