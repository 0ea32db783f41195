"""`make run` on a machine where PostgreSQL and Redis are installed but not running: it starts
private instances under the data folder on free ports; where not installed, it says how to fix."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest
import redis

from infra import devrun

CLOSED = devrun._free_port()  # nothing listens on a port we just released


@pytest.fixture
def supervisor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[devrun.Supervisor]:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    fake = SimpleNamespace(
        database_url=f"postgresql+psycopg://postgres@127.0.0.1:{CLOSED}/shopops",
        redis_url=f"redis://127.0.0.1:{CLOSED}/0",
    )
    monkeypatch.setattr(devrun, "get_settings", lambda: fake)
    data = tmp_path / "data"
    data.mkdir()
    os.chmod(tmp_path, 0o755)  # the postgres user must reach its data directory
    sup = devrun.Supervisor(data)
    yield sup
    sup.stop()


def test_private_postgres_starts_when_none_answers(supervisor: devrun.Supervisor) -> None:
    # every dev and CI machine has the server binaries: their absence is a failure, not a skip
    assert devrun._pg_bindir() is not None, "PostgreSQL server binaries are not installed"
    url = devrun.ensure_postgres(supervisor)
    assert f":{CLOSED}/" not in url and url.endswith("/shopops")
    devrun.ensure_database(url)
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("shopops",)
    pgdata = devrun._private_pgdata(supervisor.data)
    try:
        assert (pgdata / "PG_VERSION").exists()
    finally:
        supervisor.stop()
        shutil.rmtree(pgdata, ignore_errors=True)


def test_private_redis_starts_when_none_answers(supervisor: devrun.Supervisor) -> None:
    assert shutil.which("redis-server") is not None, "redis-server is not installed"
    url = devrun.ensure_redis(supervisor)
    assert f":{CLOSED}/" not in url
    assert redis.Redis.from_url(url).ping()


def test_missing_servers_say_what_to_install(supervisor: devrun.Supervisor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devrun, "_pg_bindir", lambda: None)
    monkeypatch.setattr(devrun.shutil, "which", lambda name: None)
    with pytest.raises(devrun.Abort, match="apt-get install -y postgresql"):
        devrun.ensure_postgres(supervisor)
    with pytest.raises(devrun.Abort, match="apt-get install -y redis-server"):
        devrun.ensure_redis(supervisor)


def test_an_explicit_url_that_does_not_answer_is_an_error(supervisor: devrun.Supervisor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/x")
    with pytest.raises(devrun.Abort, match="DATABASE_URL points at"):
        devrun.ensure_postgres(supervisor)
