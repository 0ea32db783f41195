"""`make run`: bring the whole system up on one machine and stop it all on Ctrl-C.

Order: PostgreSQL and Redis (existing servers, or private ones under the data folder when
none answers), migrations, Temporal dev server, Shoptet sandbox, worker, API; then the demo
shop is installed through the real install flow and the URLs are printed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, urlsplit, urlunsplit

import httpx
import psycopg

from db.config import DEV_ENCRYPTION_KEY, ROOT, get_settings
from workflows.queues import Queue

BIN = Path(sys.executable).parent
DEMO_ESHOP_ID = 100001
INSTALL_ATTEMPTS = 3
DEMO_ADMIN = ("admin@shopops.local", os.environ.get("DEMO_PASSWORD", "shopops-demo"))
DEMO_MERCHANT = ("merchant@shopops.local", os.environ.get("DEMO_PASSWORD", "shopops-demo"))


class Abort(SystemExit):
    """Stop with a message that says what is missing and how to fix it."""

    def __init__(self, message: str) -> None:
        super().__init__(f"\nmake run: {message}")


RESTART_FIRST = 1.0  # seconds before the first restart of a crashed child
RESTART_MAX = 30.0  # the backoff doubles up to this
STABLE_AFTER = 60.0  # a child that ran this long crashed afresh: its backoff starts over


@dataclass
class Child:
    """One supervised process. It writes its output straight into its log file (no pipe through
    the supervisor), so it never dies of a broken pipe when the supervisor does."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes]
    started: float
    on_restart: Callable[[], None] | None = None
    restarts: int = 0
    quick_crashes: int = 0  # crashes in a row, each before STABLE_AFTER
    restart_at: float | None = None
    log_from: int = 0  # the log's size when first started: older lines are not echoed


@dataclass
class Supervisor:
    """Starts the children, restarts a crashed one with exponential backoff (saying so), and
    stops them all, newest first."""

    data: Path
    clock: Callable[[], float] = time.monotonic
    say: Callable[[str], None] = field(default=lambda line: print(line, flush=True))
    children: list[Child] = field(default_factory=list)
    stopping: bool = False

    def start(
        self, name: str, argv: list[str], env: dict[str, str] | None = None,
        on_restart: Callable[[], None] | None = None,
    ) -> Child:
        logs = self.data / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        full_env = {**os.environ, **(env or {})}
        log = logs / f"{name}.log"
        size = log.stat().st_size if log.exists() else 0
        child = Child(name, argv, full_env, log, self._spawn(argv, full_env, log), self.clock(), on_restart,
                      log_from=size)
        self.children.append(child)
        return child

    @staticmethod
    def _spawn(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:  # the child holds its own descriptor; ours closes here
            return subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=env, cwd=ROOT, start_new_session=True,  # Ctrl-C reaches the supervisor only
            )

    @property
    def procs(self) -> list[tuple[str, subprocess.Popen[bytes]]]:
        return [(c.name, c.proc) for c in self.children]

    def check_alive(self) -> None:
        """While starting up, a child that exits is a configuration problem: stop and say so."""
        for child in self.children:
            if child.proc.poll() is not None:
                raise Abort(f"{child.name} exited with code {child.proc.returncode}; see {child.log}")

    def supervise(self) -> None:
        """Once up: schedule a crashed child's restart with backoff, and restart the due ones."""
        now = self.clock()
        for child in self.children:
            if self.stopping or child.proc.poll() is None:
                continue
            if child.restart_at is None:
                lived = now - child.started
                child.quick_crashes = child.quick_crashes + 1 if lived < STABLE_AFTER else 1
                delay = min(RESTART_MAX, RESTART_FIRST * 2 ** (child.quick_crashes - 1))
                child.restart_at = now + delay
                self.say(
                    f"{child.name} exited ({_exit_reason(child.proc.returncode)}) after {lived:.0f} s; "
                    f"restarting in {delay:.0f} s (see {child.log})"
                )
            if now >= child.restart_at:
                child.proc = self._spawn(child.argv, child.env, child.log)
                child.started, child.restart_at = now, None
                child.restarts += 1
                self.say(f"{child.name} restarted (restart {child.restarts}, pid {child.proc.pid})")
                if child.on_restart is not None:
                    threading.Thread(target=child.on_restart, name=f"{child.name}-restarted", daemon=True).start()

    def stop(self) -> None:
        """Stop in reverse start order, each before the next, so workers leave while Temporal
        and the databases are still there to take their goodbyes."""
        self.stopping = True
        for child in reversed(self.children):
            proc = child.proc
            if proc.poll() is not None:
                continue
            self.say(f"stopping {child.name}…")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


def _exit_reason(code: int | None) -> str:
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


def follow_logs(sup: Supervisor, stop: threading.Event, every: float = 0.3) -> None:
    """Echo what the children append to their log files, prefixed with their names. Reads the
    files, never a pipe: the children do not depend on this thread or on the supervisor."""
    offsets: dict[Path, int] = {}
    while not stop.is_set():
        for child in list(sup.children):
            start = offsets.setdefault(child.log, child.log_from)
            try:
                with child.log.open("rb") as fh:
                    fh.seek(start)
                    data = fh.read()
            except FileNotFoundError:
                continue
            complete = data[: data.rfind(b"\n") + 1]
            offsets[child.log] = start + len(complete)
            for line in complete.decode(errors="replace").splitlines():
                sys.stdout.write(f"{child.name:>9} | {line}\n")
        sys.stdout.flush()
        stop.wait(every)


def supervise_until_stopped(sup: Supervisor, stop: threading.Event, every: float = 0.5) -> None:
    """The supervisor's loop once everything is up: restart crashed children until Ctrl-C
    (SIGINT) or SIGTERM, then stop them all.

    Ctrl-C sets `stop` instead of raising KeyboardInterrupt wherever the loop happens to be: an
    exception thrown into `Popen.poll` or a lock acquire can leave the child bookkeeping
    half-done, and the stop then hung under load."""
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        while not stop.is_set():
            sup.supervise()
            stop.wait(every)
    except KeyboardInterrupt:  # a Ctrl-C that came before the handler above
        pass
    finally:
        sup.stop()
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(sup: Supervisor, name: str, host: str, port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _port_open(host, port):
            return
        sup.check_alive()
        time.sleep(0.2)
    raise Abort(f"{name} did not open {host}:{port} within {timeout:.0f} s")


def _pg_bindir() -> Path | None:
    if pg_config := shutil.which("pg_config"):
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidate = Path(out.stdout.strip())
        if (candidate / "initdb").exists():
            return candidate
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def _as_postgres(argv: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def _private_pgdata(data: Path) -> Path:
    """The private cluster's directory: under the data folder, unless (running as root) the
    postgres user could not reach it there; then a stable spot under /var/tmp."""
    preferred = data / "postgres"
    if os.geteuid() != 0:
        return preferred
    reachable = all(os.stat(p).st_mode & 0o001 for p in [*reversed(preferred.parent.parents), preferred.parent])
    if reachable:
        return preferred
    digest = hashlib.sha1(str(data.resolve()).encode()).hexdigest()[:10]  # noqa: S324 - a name, not a secret
    fallback = Path("/var/tmp") / f"shopops-postgres-{digest}"  # noqa: S108 - fixed name on purpose: reused across runs
    print(f"{preferred.parent} is not reachable by the postgres user; the private cluster lives in {fallback}")
    return fallback


def ensure_postgres(sup: Supervisor) -> str:
    url = get_settings().database_url
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5432
    if _port_open(host, port):
        return url
    if "DATABASE_URL" in os.environ:
        raise Abort(f"DATABASE_URL points at {host}:{port}, but nothing answers there.")
    bindir = _pg_bindir()
    if bindir is None:
        raise Abort(
            f"no PostgreSQL answers on {host}:{port} and no PostgreSQL server is installed.\n"
            "Install and start it with: apt-get install -y postgresql && "
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
        )
    return private_postgres(sup, bindir, _private_pgdata(sup.data), _free_port(), parts)


def private_postgres(sup: Supervisor, bindir: Path, pgdata: Path, port: int, parts: SplitResult) -> str:
    """A PostgreSQL cluster of our own in `pgdata` (initdb on first use), supervised; returns
    `parts` (the app's URL) pointed at it."""
    if not (pgdata / "PG_VERSION").exists():
        pgdata.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(pgdata, "postgres", "postgres")
        subprocess.run(
            _as_postgres([str(bindir / "initdb"), "-D", str(pgdata), "-U", "postgres", "--auth=trust"]),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    print(f"starting a private PostgreSQL on 127.0.0.1:{port} in {pgdata}")
    sup.start(
        "postgres",
        _as_postgres(
            [str(bindir / "postgres"), "-D", str(pgdata), "-p", str(port),
             "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={pgdata}"]
        ),
    )
    _wait_port(sup, "postgres", "127.0.0.1", port)
    time.sleep(0.5)
    new = parts._replace(netloc=f"postgres@127.0.0.1:{port}")
    return urlunsplit(new)


def ensure_redis(sup: Supervisor) -> str:
    url = get_settings().redis_url
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 6379
    if _port_open(host, port):
        return url
    if "REDIS_URL" in os.environ:
        raise Abort(f"REDIS_URL points at {host}:{port}, but nothing answers there.")
    server = shutil.which("redis-server")
    if server is None:
        raise Abort(
            f"no Redis answers on {host}:{port} and redis-server is not installed.\n"
            "Install and start it with: apt-get install -y redis-server && "
            'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'
        )
    return private_redis(sup, server, sup.data / "redis", _free_port())


def private_redis(sup: Supervisor, server: str, redis_dir: Path, port: int) -> str:
    """A Redis of our own (no persistence: it holds caches and locks), supervised."""
    redis_dir.mkdir(parents=True, exist_ok=True)
    print(f"starting a private Redis on 127.0.0.1:{port}")
    sup.start(
        "redis",
        [server, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(redis_dir),
         "--save", "", "--appendonly", "no"],
    )
    _wait_port(sup, "redis", "127.0.0.1", port)
    return f"redis://127.0.0.1:{port}/0"


def ensure_database(url: str) -> None:
    parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://"))
    name = parts.path.lstrip("/") or "shopops"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")


def start_temporal(sup: Supervisor) -> str:
    if "TEMPORAL_ADDRESS" in os.environ:
        return os.environ["TEMPORAL_ADDRESS"]

    temporal = BIN / "temporal"
    if not temporal.exists():
        raise Abort("the temporal dev server is missing from the virtualenv: run `make install`")
    if _port_open("127.0.0.1", 7233):
        raise Abort("port 7233 is taken: stop the other Temporal server or set TEMPORAL_ADDRESS")
    return temporal_dev_server(sup, temporal, sup.data / "temporal", 7233, 8233)


def temporal_dev_server(sup: Supervisor, temporal: Path, state: Path, port: int, ui_port: int | None) -> str:
    """The Temporal dev server with its state in a file under `state` (so a restart keeps every
    workflow), supervised; returns its address."""
    from workflows.search_attributes import dev_server_flags

    state.mkdir(parents=True, exist_ok=True)
    ui = ["--ui-port", str(ui_port)] if ui_port else ["--headless"]
    sup.start(
        "temporal",
        [str(temporal), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port), *ui,
         "--db-filename", str(state / "temporal.db"), "--log-level", "warn", *dev_server_flags()],
    )
    _wait_port(sup, "temporal", "127.0.0.1", port, timeout=60)
    return f"127.0.0.1:{port}"


def _wait_healthy(sup: Supervisor, url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        sup.check_alive()
        try:
            response = httpx.get(url, timeout=3)
            if response.status_code == 200:
                return
            last = response.text
        except httpx.HTTPError as exc:
            last = str(exc)
        time.sleep(0.5)
    raise Abort(f"{url} did not report healthy within {timeout:.0f} s: {last}")


def _wait_worker(sup: Supervisor, env: dict[str, str], timeout: float = 90) -> None:
    """Round-trip a SystemCheckWorkflow through the worker before the demo install: the install
    must not race the worker's start, or Shoptet's 5-second budget runs out while its tasks wait.
    (A child process, so the supervisor itself never loads the Temporal SDK.)"""
    try:
        check = subprocess.run(
            [str(BIN / "shopops"), "job", "system-check"],
            env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout, check=False,
        )
    except subprocess.TimeoutExpired as exc:
        sup.check_alive()
        raise Abort(f"the worker did not run a system check within {timeout:.0f} s") from exc
    if check.returncode != 0:
        raise Abort(f"the worker's system check failed:\n{check.stderr[-2000:]}")


def setup_demo(api_url: str, sandbox_url: str) -> str:
    """Demo users, and the demo shop installed through the real OAuth install flow."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from api.cli.users import ensure_user
    from db.engine import sync_engine
    from db.models import Shop, ShopMembership

    outcome: dict[str, object] = {}
    for attempt in range(1, INSTALL_ATTEMPTS + 1):
        # installing again is harmless (every step converges), so a slow first try is retried
        install = httpx.post(
            f"{sandbox_url}/_sandbox/shops/{DEMO_ESHOP_ID}/install",
            json={"install_url": f"{api_url}/api/shoptet/install"},
            timeout=30,
        )
        is_json = install.headers.get("content-type", "").startswith("application/json")
        outcome = install.json() if is_json else {"error": install.text}
        if outcome.get("status") == "installed":
            break
        print(f"demo install attempt {attempt} failed: {outcome.get('error')}", flush=True)
        time.sleep(2)
    with Session(sync_engine()) as session:
        ensure_user(session, DEMO_ADMIN[0], DEMO_ADMIN[1], role="admin", name="Ops admin")
        merchant = ensure_user(session, DEMO_MERCHANT[0], DEMO_MERCHANT[1], name="Demo merchant")
        shop_id = session.execute(select(Shop.id).where(Shop.eshop_id == DEMO_ESHOP_ID)).scalar_one_or_none()
        if shop_id is not None:
            session.merge(ShopMembership(user_id=merchant.id, shop_id=shop_id, role="owner"))
        session.commit()
    if shop_id is None or outcome.get("status") != "installed":
        return f"demo shop NOT installed: {outcome.get('error') or outcome}"
    return f"demo shop {DEMO_ESHOP_ID} installed (shop id {shop_id}); its first snapshots are running"


LOCAL_SECRETS_HEADER = (
    "# Generated by `make run` on its first start: this machine's own secrets. Keep this file\n"
    "# out of version control; production sets its own (README, Security).\n"
)


def _names_in(env_file: Path) -> set[str]:
    if not env_file.exists():
        return set()
    return {
        line.split("=", 1)[0].strip()
        for line in env_file.read_text().splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }


def ensure_local_secrets(
    env_file: Path = ROOT / ".env", environ: dict[str, str] | None = None
) -> list[str]:
    """Write a Fernet key and a session secret of this machine's own into `.env` when neither
    the environment nor the file sets them; the names written (none after the first start).

    The development key stays second in ENCRYPTION_KEYS, so rows an earlier `make run` wrote
    still decrypt until `retire_development_key` has re-encrypted them."""
    from db.secrets import new_key

    environ = os.environ if environ is None else environ
    present = _names_in(env_file) | set(environ)
    lines = []
    if "ENCRYPTION_KEYS" not in present:
        lines.append(f"ENCRYPTION_KEYS={new_key()},{DEV_ENCRYPTION_KEY}")
    if "SESSION_SECRET" not in present:
        lines.append(f"SESSION_SECRET={secrets.token_urlsafe(48)}")
    if not lines:
        return []
    before = env_file.read_text() if env_file.exists() else ""
    separator = "" if not before or before.endswith("\n") else "\n"
    env_file.write_text(before + separator + LOCAL_SECRETS_HEADER + "\n".join(lines) + "\n")
    env_file.chmod(0o600)
    return [line.split("=", 1)[0] for line in lines]


def retire_development_key(env_file: Path = ROOT / ".env") -> int:
    """Re-encrypt every secret with the new first key, then drop the development key from
    `.env`; the rows re-encrypted."""
    from db.engine import sync_engine
    from db.key_rotation import rotate_all

    with sync_engine().begin() as conn:
        rows = sum(rotate_all(conn).values())
    text = env_file.read_text().replace(f",{DEV_ENCRYPTION_KEY}", "")
    env_file.write_text(text)
    get_settings.cache_clear()
    return rows


def _reinstall_demo(host: str, port: int, api_url: str) -> None:
    deadline = time.monotonic() + 60
    while not _port_open(host, port):
        if time.monotonic() > deadline:
            print("the restarted sandbox did not open its port; the demo shop was not reinstalled", flush=True)
            return
        time.sleep(0.5)
    print(setup_demo(api_url, f"http://{host}:{port}"), flush=True)


def main() -> int:
    generated = ensure_local_secrets()
    if generated:
        print(f"wrote {', '.join(generated)} of this machine's own into .env", flush=True)
        get_settings.cache_clear()
    settings = get_settings()
    data = settings.data_dir
    data.mkdir(parents=True, exist_ok=True)
    sup = Supervisor(data)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=follow_logs, args=(sup, stop), name="logs", daemon=True).start()
    try:
        db_url = ensure_postgres(sup)
        redis_url = ensure_redis(sup)
        env = {"DATABASE_URL": db_url, "REDIS_URL": redis_url}
        os.environ.update(env)
        get_settings.cache_clear()
        ensure_database(db_url)
        from db import migrate

        migrate.upgrade(db_url)
        if "ENCRYPTION_KEYS" in generated:
            retire_development_key()
        env["TEMPORAL_ADDRESS"] = start_temporal(sup)
        os.environ.update(env)
        get_settings.cache_clear()
        shopops = str(BIN / "shopops")
        sandbox_url = f"http://{settings.sandbox_host}:{settings.sandbox_port}"
        api_url = f"http://{settings.api_host}:{settings.api_port}"
        # a restarted sandbox forgot the installation: install the demo shop into it again
        sup.start("sandbox", [shopops, "sandbox", "--demo"], env,
                  on_restart=lambda: _reinstall_demo(settings.sandbox_host, settings.sandbox_port, api_url))
        _wait_port(sup, "sandbox", settings.sandbox_host, settings.sandbox_port)
        # exports (CPU-heavy XLSX writing) get a process of their own: the GIL they hold
        # must not slow the webhook deliveries and syncs of the main worker
        exports = Queue.EXPORTS.value
        sup.start("worker", [shopops, "worker", "--skip-queue", exports], env)
        sup.start("worker-exports", [shopops, "worker", "-q", exports, "--no-schedules"], env)
        sup.start("api", [shopops, "api"], env)
        _wait_healthy(sup, f"{api_url}/api/health")
        _wait_worker(sup, env)
        demo = setup_demo(api_url, sandbox_url)
        print(
            "\n"
            "shopops is up.\n"
            f"  web UI and API     {api_url}  (API docs {api_url}/api/docs)\n"
            f"  health             {api_url}/api/health\n"
            f"  Temporal console   {settings.temporal_ui_url}\n"
            f"  Shoptet sandbox    {sandbox_url}\n"
            f"  sign in as         {DEMO_ADMIN[0]} / {DEMO_ADMIN[1]} (admin) or "
            f"{DEMO_MERCHANT[0]} / {DEMO_MERCHANT[1]}\n"
            f"  {demo}\n"
            "Press Ctrl-C to stop everything.\n",
            flush=True,
        )
    except KeyboardInterrupt:
        sup.stop()
        return 0
    except Abort as exc:
        sup.stop()
        print(exc.code, file=sys.stderr)
        return 1
    except BaseException:
        sup.stop()
        raise
    supervise_until_stopped(sup, stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
