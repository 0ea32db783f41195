"""Point-in-time recovery: WAL archiving, base backups, and a throwaway cluster restored to a moment.

Layout under the PITR root (default `<data_dir>/pitr`, readable and writable by the server's
OS user): `wal/` holds archived WAL segments, `base/<label>/` one base backup each (a
`base.tar.gz` from pg_basebackup plus `shopops-base.json`), `restores/<label>/` the data
directories of restored clusters. See docs/backups.md for the runbook.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tarfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, LiteralString

import psycopg
from psycopg import sql

from activities.safety.backups import pg_binary
from db.config import get_settings

ARCHIVE_SCRIPT = Path(__file__).resolve().parents[2] / "infra" / "pitr" / "archive_wal.sh"
MANIFEST = "shopops-base.json"
SERVER_USER = "postgres"
# what the server log says when recovery gave up and the cluster went down
STOPPED = (
    "database system is shut down",
    "recovery ended before configured recovery target",
    "startup process (PID",
)


class PitrError(RuntimeError):
    """A PITR step cannot go on; the message says why and what to do."""


class ArchivingOff(PitrError):
    """The server does not archive WAL, so a base backup could never be rolled forward."""


@dataclass(frozen=True)
class PitrPaths:
    root: Path

    @property
    def wal(self) -> Path:
        return self.root / "wal"

    @property
    def base(self) -> Path:
        return self.root / "base"

    @property
    def restores(self) -> Path:
        return self.root / "restores"

    @property
    def script(self) -> Path:
        return self.root / "archive_wal.sh"

    @classmethod
    def default(cls) -> PitrPaths:
        return cls(get_settings().pitr_root)


@dataclass(frozen=True)
class BaseBackup:
    label: str
    path: str
    started_at: str
    finished_at: str
    server_major: int
    bytes: int
    start_wal: str | None = None  # the first archived segment a restore from it replays


@dataclass(frozen=True)
class RestoredCluster:
    data_dir: str
    port: int
    target_time: str
    base_backup: str
    dsn: str
    log: str
    stop_command: str


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on right now (for a restored cluster)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user() -> list[str]:
    """Prefix for commands that must run as the PostgreSQL OS user (the server refuses root)."""
    return ["runuser", "-u", SERVER_USER, "--"] if os.geteuid() == 0 else []


def _give_to_server_user(path: Path) -> None:
    if os.geteuid() != 0:
        return
    user = pwd.getpwnam(SERVER_USER)
    for folder, _, files in os.walk(path):
        os.chown(folder, user.pw_uid, user.pw_gid)
        for name in files:
            os.chown(os.path.join(folder, name), user.pw_uid, user.pw_gid)


def archive_command(paths: PitrPaths) -> str:
    return f"'{paths.script}' \"%p\" \"%f\" '{paths.wal}'"


def restore_command(paths: PitrPaths) -> str:
    return f"cp '{paths.wal}/%f' \"%p\""


def setup_archiving(url: str, paths: PitrPaths, archive_timeout_s: int = 300) -> dict[str, Any]:
    """Turn on WAL archiving into `paths.wal` (ALTER SYSTEM; needs a superuser on the server's host).

    Returns the settings and whether PostgreSQL must be restarted (wal_level and archive_mode
    only change at restart; archive_command and archive_timeout on reload).
    """
    paths.wal.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ARCHIVE_SCRIPT, paths.script)
    paths.script.chmod(0o755)
    _give_to_server_user(paths.root)
    wanted = {
        "wal_level": "replica",
        "archive_mode": "on",
        "archive_command": archive_command(paths),
        "archive_timeout": str(archive_timeout_s),  # a quiet database still archives every 5 min
    }
    with psycopg.connect(url, autocommit=True) as conn:
        for name, value in wanted.items():
            conn.execute(
                sql.SQL("ALTER SYSTEM SET {} = {}").format(
                    sql.Identifier(name), sql.Literal(value)
                )
            )
        conn.execute("SELECT pg_reload_conf()")
        time.sleep(0.2)
        pending = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM pg_settings WHERE pending_restart AND name = ANY(%s)",
                [list(wanted)],
            )
        ]
    return {"settings": wanted, "restart_needed": pending, "wal_archive": str(paths.wal)}


def _scalar(conn: psycopg.Connection[Any], query: LiteralString) -> Any:
    """The one value a one-row query answers."""
    row = conn.execute(query).fetchone()
    assert row is not None, query
    return row[0]


def take_base_backup(url: str, paths: PitrPaths) -> BaseBackup:
    """pg_basebackup (tar, gzip, with the WAL it needs) into `base/<label>`, plus a manifest."""
    with psycopg.connect(url) as conn:
        major = (
            int(_scalar(conn, "SELECT current_setting('server_version_num')::int"))
            // 10000
        )
        archiving = _scalar(conn, "SELECT current_setting('archive_mode')")
    if archiving != "on":
        raise ArchivingOff(
            "archive_mode is off on the server: a base backup without archived WAL cannot be "
            "rolled forward; run `shopops pitr setup` and restart PostgreSQL first"
        )
    started = datetime.now(UTC)
    # sorts by time; the random tail keeps two base backups started at the same moment apart
    label = f"{started:%Y%m%dT%H%M%S}{started.microsecond // 1000:03d}Z-{secrets.token_hex(3)}"
    target = paths.base / label
    target.parent.mkdir(parents=True, exist_ok=True)
    from activities.safety.backups import libpq_env

    result = subprocess.run(
        [
            pg_binary("pg_basebackup", major),
            "-D",
            str(target),
            "-Ft",
            "-z",
            "-X",
            "fetch",
            "--checkpoint=fast",
            f"--label=shopops {label}",
        ],
        env=libpq_env(url),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        shutil.rmtree(target, ignore_errors=True)
        raise PitrError(f"pg_basebackup failed: {result.stderr.strip()[-2000:]}")
    finished = datetime.now(UTC)
    size = sum(p.stat().st_size for p in target.iterdir())
    backup = BaseBackup(
        label, str(target), started.isoformat(), finished.isoformat(), major, size, start_wal(target)
    )
    (target / MANIFEST).write_text(json.dumps(asdict(backup), indent=2))
    return backup


def start_wal(backup_dir: Path) -> str | None:
    """The segment named by the backup's `backup_label` (START WAL LOCATION … (file X)).

    Every archived segment from this one on is needed to restore from the backup; the ones
    before it are not. pg_basebackup writes backup_label first, so the scan stops early.
    """
    archive = backup_dir / "base.tar.gz"
    if not archive.exists():
        return None
    with tarfile.open(archive, "r|gz") as tar:
        for member in tar:
            if member.name.lstrip("./") != "backup_label":
                continue
            handle = tar.extractfile(member)
            text = handle.read().decode() if handle else ""
            found = re.search(r"START WAL LOCATION: \S+ \(file ([0-9A-F]{24})\)", text)
            return found.group(1) if found else None
    return None


def base_backups(paths: PitrPaths) -> list[BaseBackup]:
    found = []
    for manifest in sorted(paths.base.glob(f"*/{MANIFEST}")):
        found.append(BaseBackup(**json.loads(manifest.read_text())))
    return sorted(found, key=lambda b: b.finished_at)


def restore_to(
    at: datetime, paths: PitrPaths, port: int, data_dir: Path | None = None, timeout_s: float = 600
) -> RestoredCluster:
    """Start a new cluster from the newest base backup before `at`, replaying archived WAL up to `at`."""
    if at.tzinfo is None:
        raise PitrError(f"give the time with its offset, e.g. 2026-11-28T14:05:00+01:00 (got {at})")
    candidates = [b for b in base_backups(paths) if datetime.fromisoformat(b.finished_at) < at]
    if not candidates:
        known = ", ".join(b.finished_at for b in base_backups(paths)) or "none"
        raise PitrError(
            f"no base backup finished before {at.isoformat()} (base backups finished at: {known}); "
            f"take one with `shopops pitr base-backup`"
        )
    if not paths.wal.exists() or not any(paths.wal.iterdir()):
        raise PitrError(f"the WAL archive {paths.wal} is empty; is archive_command set?")
    base = candidates[-1]
    data_dir = data_dir or paths.restores / f"{at.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    if data_dir.exists() and any(data_dir.iterdir()):
        raise PitrError(f"{data_dir} is not empty; remove it or pass another --data-dir")
    data_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(Path(base.path) / "base.tar.gz") as tar:
        tar.extractall(data_dir, filter="data")
    _prepare_recovery(data_dir, at, paths, port)
    data_dir.chmod(0o700)
    _give_to_server_user(data_dir)
    log = data_dir / "restore.log"
    pg_ctl = pg_binary("pg_ctl", base.server_major, exact=True)
    started = subprocess.run(
        [
            *_as_server_user(),
            pg_ctl,
            "-D",
            str(data_dir),
            "-l",
            str(log),
            "-w",
            "-t",
            str(int(timeout_s)),
            "start",
        ],
        capture_output=True,
        text=True,
    )
    if started.returncode != 0:
        raise PitrError(
            f"the restored cluster did not start: {started.stderr.strip()}\n{_tail(log)}"
        )
    dsn = f"postgresql://{SERVER_USER}@127.0.0.1:{port}/postgres"
    _wait_for_promotion(dsn, log, timeout_s)
    return RestoredCluster(
        data_dir=str(data_dir),
        port=port,
        target_time=at.isoformat(),
        base_backup=base.label,
        dsn=dsn,
        log=str(log),
        stop_command=" ".join([*_as_server_user(), pg_ctl, "-D", str(data_dir), "stop"]),
    )


def _prepare_recovery(data_dir: Path, at: datetime, paths: PitrPaths, port: int) -> None:
    for stale in ("postmaster.pid", "postmaster.opts", "standby.signal"):
        (data_dir / stale).unlink(missing_ok=True)
    # Debian keeps postgresql.conf and pg_hba.conf in /etc, outside the data directory
    if not (data_dir / "postgresql.conf").exists():
        (data_dir / "postgresql.conf").write_text("# written by shopops backup restore\n")
    if not (data_dir / "pg_hba.conf").exists():
        (data_dir / "pg_hba.conf").write_text(
            "local all all peer\nhost all all 127.0.0.1/32 scram-sha-256\n"
        )
    (data_dir / "pg_ident.conf").touch()
    (data_dir / "recovery.signal").touch()
    with (data_dir / "postgresql.auto.conf").open("a") as conf:
        conf.write(
            "\n# shopops backup restore --at (last values win)\n"
            f"restore_command = '{_quote(restore_command(paths))}'\n"
            f"recovery_target_time = '{at.isoformat()}'\n"
            "recovery_target_action = 'promote'\n"
            "archive_mode = 'off'\n"  # a restored copy must never write into the live archive
            f"port = {port}\n"
            "listen_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{data_dir}'\n"
        )


def _quote(value: str) -> str:
    return value.replace("'", "''")


def _wait_for_promotion(dsn: str, log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(dsn, connect_timeout=3) as conn:
                if not _scalar(conn, "SELECT pg_is_in_recovery()"):
                    return
        except psycopg.OperationalError:
            tail = _tail(log, 40)
            if any(sign in tail for sign in STOPPED):
                raise PitrError(f"recovery stopped:\n{tail}") from None
        time.sleep(0.2)
    raise PitrError(f"recovery did not finish within {timeout_s:.0f} s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"
