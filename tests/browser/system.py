"""A real shopops on free ports for the browser tests: API (uvicorn), worker, Shoptet sandbox.

The Temporal dev server comes from the session's `temporal_env` fixture, PostgreSQL and Redis
from the test session; the UI is built when `ui/dist` is missing or older than its sources.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "ui"
BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


@dataclass
class Account:
    email: str
    password: str


@dataclass
class System:
    api_url: str
    sandbox_url: str
    member: Account
    admin: Account
    shops: dict[str, dict[str, Any]] = field(default_factory=dict)
    logs: Path = ROOT / "test-artifacts" / "browser-logs"
    # the walk's users: role → locale of the profile → account
    walkers: dict[str, dict[str, Account]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # what a suite seeded (run ids, codes)

    def e2e_config(self) -> str:
        return json.dumps(
            {
                "sandbox_url": self.sandbox_url,
                "member": self.member.__dict__,
                "admin": self.admin.__dict__,
                "walkers": {
                    role: {locale: a.__dict__ for locale, a in by_locale.items()}
                    for role, by_locale in self.walkers.items()
                },
                **self.shops,
                **self.extra,
            }
        )


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _newest_mtime(paths: list[Path]) -> float:
    newest = 0.0
    for path in paths:
        files = path.rglob("*") if path.is_dir() else [path]
        newest = max([newest, *(f.stat().st_mtime for f in files if f.is_file())])
    return newest


def ensure_ui_built() -> None:
    """`npm ci` when node_modules is missing, `npm run build` when dist is older than the sources."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not installed: the browser tests need Node 20 and npm")
    if not (UI / "node_modules" / ".package-lock.json").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=UI, check=True)
    index = UI / "dist" / "index.html"
    sources = [UI / "src", UI / "index.html", UI / "package.json", UI / "vite.config.ts"]
    if not index.exists() or index.stat().st_mtime < _newest_mtime(sources):
        subprocess.run([npm, "run", "build"], cwd=UI, check=True, stdout=subprocess.DEVNULL)


def _start(name: str, argv: list[str], env: dict[str, str], logs: Path) -> subprocess.Popen[bytes]:
    logs.mkdir(parents=True, exist_ok=True)
    log = (logs / f"{name}.log").open("wb")
    return subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)


async def _wait_healthy(
    url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    async with httpx.AsyncClient(timeout=3) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"the API exited with {proc.returncode}: {log.read_text()[-3000:]}"
                )
            try:
                response = await client.get(f"{url}/api/health")
                if response.status_code == 200:
                    return
                last = response.text
            except httpx.HTTPError as exc:
                last = str(exc)
            await asyncio.sleep(0.3)
    raise RuntimeError(f"{url}/api/health not healthy within {timeout:.0f} s: {last}")


async def _wait_worker(timeout: float = 120) -> None:
    """Round-trip a system check through the worker before the install, as `make run` does: on a
    busy machine the worker may still be starting, and Shoptet's 5-second budget would run out."""
    from infra.temporal_client import connect
    from workflows import search_attributes
    from workflows.queues import Queue
    from workflows.system import SystemCheckWorkflow

    client = await connect()
    await asyncio.wait_for(
        client.execute_workflow(
            SystemCheckWorkflow.run,
            id=f"system-check:browser-{secrets.token_hex(4)}",
            task_queue=Queue.SYSTEM.value,
            search_attributes=search_attributes.for_run("system-check"),
        ),
        timeout,
    )


def _db() -> Session:
    from db.engine import sync_engine

    return Session(sync_engine())


def make_account(
    session: Session,
    role: str = "member",
    memberships: dict[int, str] | None = None,
    locale: str = "en",
) -> Account:
    """A user with a known password; `locale` is the profile's language (the scenarios that read
    English labels use "en", the walk signs in with Czech and English profiles)."""
    from api.cli.users import ensure_user
    from db.models import ShopMembership

    account = Account(f"ui-{secrets.token_hex(4)}@example.com", secrets.token_urlsafe(12))
    user = ensure_user(session, account.email, account.password, role=role)
    user.locale = locale
    for shop_id, shop_role in (memberships or {}).items():
        session.add(ShopMembership(user_id=user.id, shop_id=shop_id, role=shop_role))
    session.commit()
    return account


def make_shop(session: Session, name: str, eshop_id: int) -> int:
    from db.models import Shop

    shop = Shop(eshop_id=eshop_id, name=name, status="active")
    session.add(shop)
    session.commit()
    return shop.id


def seed_orders(session: Session, shop_id: int, count: int) -> None:
    """`count` orders in one INSERT … SELECT generate_series, newest a minute ago; about 8 000
    customers (e-mails repeat), so the customer analytics have repeat buyers to model."""
    session.execute(
        text(
            """
            INSERT INTO orders (shop_id, code, created_at, status_id, status_name, billing_name,
                                email, currency, total_with_vat, paid, item_count, synced_at)
            SELECT :shop, 'E2E' || lpad(g::text, 7, '0'), now() - g * interval '1 minute',
                   1 + g % 4, (ARRAY['Nová', 'Vyřizuje se', 'Vyřízena', 'Stornována'])[1 + g % 4],
                   'Zákazník ' || g % 7919, 'zakaznik' || g % 7919 || '@example.cz', 'CZK',
                   round((100 + (g * 37) % 9000)::numeric, 2), g % 3 <> 0, 1 + g % 5, now()
            FROM generate_series(1, :count) AS g
            """
        ),
        {"shop": shop_id, "count": count},
    )
    session.commit()


INSTALL_ATTEMPTS = 3


async def install_shop(api_url: str, sandbox: Any, eshop_id: int) -> int:
    """Install through Shoptet's flow (the shop takes its name from Shoptet); an API without its
    install callback cannot run the browser suite, which then fails instead of faking it."""
    from db.models import Shop

    async with httpx.AsyncClient(timeout=30) as client:
        paths = (await client.get(f"{api_url}/api/openapi.json")).json().get("paths", {})
        if "/api/shoptet/install" not in paths:
            raise RuntimeError("the API has no /api/shoptet/install: shops cannot be installed")
        # Shoptet retries a failed install; so does this, as a worker that is still starting on a
        # loaded machine can miss the callback's time budget (the install is idempotent).
        answers = []
        for _ in range(INSTALL_ATTEMPTS):
            response = await client.post(
                f"{sandbox.url}/_sandbox/shops/{eshop_id}/install",
                json={"install_url": f"{api_url}/api/shoptet/install"},
            )
            answers.append(response.text)
            if response.is_success and response.json().get("status") != "failed":
                break
    with _db() as session:
        shop = session.execute(select(Shop).where(Shop.eshop_id == eshop_id)).scalar_one_or_none()
        if shop is None:
            raise RuntimeError(f"install of e-shop {eshop_id} failed: {answers}")
        return shop.id


@asynccontextmanager
async def running_system(orders: int) -> AsyncIterator[System]:
    """API + worker subprocesses against a sandbox with one installable shop; users and shops seeded."""
    from infra.sandbox.generator import ShopSpec
    from infra.sandbox.testing import running_sandbox

    eshop_a = 700000 + secrets.randbelow(99999)
    spec = ShopSpec(eshop_id=eshop_a, orders=1500, products=80, customers=200)
    async with running_sandbox(shops=[spec], job_running_ms=1500) as sandbox:
        port = free_port()
        api_url = f"http://127.0.0.1:{port}"
        logs = ROOT / "test-artifacts" / "browser-logs"
        env = {
            **os.environ,
            "SHOPTET_API_URL": sandbox.url,
            "SHOPTET_PARTNER_URL": sandbox.url,
            "PUBLIC_BASE_URL": api_url,
            "API_PORT": str(port),
            "PYTHONUNBUFFERED": "1",
        }
        api = _start(
            "api",
            [
                str(BIN / "python"),
                "-m",
                "uvicorn",
                "api.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env,
            logs,
        )
        worker = _start("worker", [str(BIN / "shopops"), "worker", "--no-schedules"], env, logs)
        procs = [worker, api]
        try:
            await _wait_healthy(api_url, api, logs / "api.log")
            await _wait_worker()
            shop_a = await install_shop(api_url, sandbox, eshop_a)
            with _db() as session:
                shop_b = make_shop(session, "Beta e-shop", eshop_a + 100000)
                shop_orders = make_shop(session, "Big orders e-shop", eshop_a + 200000)
                seed_orders(session, shop_orders, orders)
                member = make_account(
                    session, memberships={shop_a: "manager", shop_orders: "manager"}
                )
                admin = make_account(session, role="admin")
                make_account(session, memberships={shop_b: "manager"})
                walkers = {
                    "merchant": {
                        locale: make_account(
                            session, memberships={shop_a: "owner", shop_orders: "owner"}, locale=locale
                        )
                        for locale in ("cs", "en")
                    },
                    "admin": {
                        locale: make_account(session, role="admin", locale=locale)
                        for locale in ("cs", "en")
                    },
                }
            yield System(
                api_url=api_url,
                sandbox_url=sandbox.url,
                member=member,
                admin=admin,
                logs=logs,
                walkers=walkers,
                shops={
                    "shop_a": {
                        "id": shop_a,
                        "eshop_id": eshop_a,
                        "installed": "install flow",
                    },
                    "shop_b": {"id": shop_b, "name": "Beta e-shop"},
                    "shop_orders": {
                        "id": shop_orders,
                        "name": "Big orders e-shop",
                        "orders": orders,
                    },
                },
            )
        finally:
            _stop(procs)


@dataclass
class NodeResult:
    returncode: int
    output: str
    passed: int
    failed: int
    skipped: int
    skip_reasons: list[str]


def _count(output: str, name: str) -> int:
    for line in output.splitlines():
        if line.startswith(f"# {name} "):
            return int(line.split()[2])
    return 0


def run_node_tests(
    system: System, test_file: str, timeout: float = 400, env_extra: dict[str, str] | None = None
) -> NodeResult:
    """Run one e2e file of ui/ (or a scenario elsewhere, by its absolute path) with node's
    test runner against the running system."""
    env = {
        **os.environ,
        **(env_extra or {}),
        "BASE_URL": system.api_url,
        "E2E_CONFIG": system.e2e_config(),
        "CHROMIUM": CHROMIUM,
        "SCREENSHOT_DIR": str(SCREENSHOTS),
    }
    scenario = Path("e2e", test_file)  # an absolute test_file stays as it is
    done = subprocess.run(
        ["node", "--test", "--test-concurrency=1", "--test-reporter=tap", str(scenario)],
        cwd=UI,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = done.stdout + done.stderr
    reasons = [
        line.split("# SKIP", 1)[1].strip() for line in output.splitlines() if "# SKIP" in line
    ]
    return NodeResult(
        returncode=done.returncode,
        output=output,
        passed=_count(output, "pass"),
        failed=_count(output, "fail"),
        skipped=_count(output, "skipped") or _count(output, "skip"),
        skip_reasons=reasons,
    )


def chromium_problem() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing: run `make chromium` (apt-get install -y chromium)"
    return None


async def seed_walk_data(system: System, timeout: float = 240) -> dict[str, Any]:
    """Shop A as a merchant finds it after a day: products, customers and orders pulled from the
    sandbox by real snapshot runs, then the customer analysis and the inventory planning run.
    Returns what the walk opens (an order code, a snapshot run)."""
    from infra.temporal_client import connect

    shop = system.shops["shop_a"]["id"]
    client = await connect()
    async with httpx.AsyncClient(base_url=system.api_url, timeout=30) as api:
        login = await api.post(
            "/api/auth/login", json={"email": system.admin.email, "password": system.admin.password}
        )
        login.raise_for_status()
        api.headers["X-CSRF-Token"] = login.cookies["shopops_csrf"]  # as the UI sends it

        async def finish(workflow_id: str, what: str) -> None:
            try:
                await asyncio.wait_for(client.get_workflow_handle(workflow_id).result(), timeout)
            except Exception as exc:
                raise RuntimeError(f"seeding the walk: {what} ({workflow_id}) did not finish: {exc!r}") from exc

        # the install started a full snapshot of every resource; wait for them, start any missing
        runs = (await api.get(f"/api/shops/{shop}/snapshot-runs")).json()["items"]
        for resource in ("products", "customers", "orders"):
            if not any(r["resource"] == resource for r in runs):
                started = await api.post(f"/api/shops/{shop}/snapshot-runs", json={"resource": resource})
                if started.status_code != 202:
                    raise RuntimeError(f"seeding the walk: snapshot of {resource} refused: {started.text}")
                runs.append(started.json())
        for run in runs:
            await finish(run["workflow_id"], f"snapshot of {run['resource']}")
        for path in ("customers/analysis", "inventory/run"):
            started = await api.post(f"/api/shops/{shop}/{path}")
            if started.status_code != 202:
                raise RuntimeError(f"seeding the walk: POST {path} refused: {started.text}")
            await finish(started.json()["workflow_id"], path)
        orders = (await api.get(f"/api/shops/{shop}/orders", params={"limit": 1})).json()["items"]
        if not orders:
            raise RuntimeError("seeding the walk: the orders snapshot left shop A without orders")
    return {"walk": {"order_code": orders[0]["code"], "snapshot_run": runs[-1]["id"]}}
