"""Smoke-test a built image on this host before it goes anywhere: `make image-smoke`.

    python -m infra.deploy.smoke_image shopops:0.1.0

Runs the image's containers with host networking against this machine's PostgreSQL and Redis
and a Temporal dev server (the venv's `temporal`, unless TEMPORAL_ADDRESS names a running one):
the image runs as uid 10001; `shopops migrate up` migrates a scratch database; the API answers
liveness, readiness (every dependency up), serves the UI and turns Docker's HEALTHCHECK healthy;
a `shopops worker -q maintenance` container is ready on its health port and, on `docker stop`
(SIGTERM), drains and exits 0. Everything it made is removed at the end. Needs a Docker daemon,
which CI does not have: there `tests/deploy/test_packaged.py` checks the image's Python content.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
from cryptography.fernet import Fernet

from db.scratch import empty_database

ADMIN_DSN = os.environ.get("SHOPOPS_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def docker(*args: str, check: bool = True) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        raise SystemExit(f"docker {' '.join(args[:3])} … failed: {done.stderr.strip()[-800:]}")
    return done.stdout.strip()


def until(what: str, probe: Callable[[], bool], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if probe():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"gave up waiting for {what}")


def check(what: str, ok: bool, detail: str = "") -> None:
    print(f"{'ok  ' if ok else 'FAIL'} {what}{f': {detail}' if detail and not ok else ''}", flush=True)
    if not ok:
        raise SystemExit(1)


def main(image: str) -> None:
    token = secrets.token_hex(3)
    database = f"shopops_image_smoke_{token}"
    base = ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    api_port, health_port = free_port(), free_port()
    temporal: subprocess.Popen[bytes] | None = None
    workdir = Path(tempfile.mkdtemp(prefix="shopops-image-smoke-"))
    names = [f"shopops-smoke-api-{token}", f"shopops-smoke-worker-{token}"]
    with empty_database(ADMIN_DSN, database):  # dropped at the end, its connections ended first
        try:
            address = os.environ.get("TEMPORAL_ADDRESS")
            if not address:
                port = free_port()
                binary = shutil.which("temporal", path=str(Path(sys.executable).parent)) or "temporal"
                temporal = subprocess.Popen(
                    [binary, "server", "start-dev", "--headless", "--port", str(port), "--ui-port", str(free_port()),
                     "--db-filename", str(workdir / "temporal.db")],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )
                address = f"127.0.0.1:{port}"
            env = {
                "DATABASE_URL": f"{base}/{database}",
                "REDIS_URL": os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/13"),
                "TEMPORAL_ADDRESS": address,
                "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
                "SESSION_SECRET": secrets.token_urlsafe(48),
                "PUBLIC_BASE_URL": f"http://127.0.0.1:{api_port}",
                "API_PORT": str(api_port),
                "HEALTHCHECK_URL": f"http://127.0.0.1:{api_port}/api/health/live",
                "WORKER_HEALTH_PORT": str(health_port),
                "WORKER_SHUTDOWN_SECONDS": "20",
            }
            env_file = workdir / "smoke.env"
            env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
            run = ["run", "--network", "host", "--env-file", str(env_file)]

            check("runs as uid 10001", docker(*run, "--rm", image, "id", "-u") == "10001")
            docker(*run, "--rm", image, "shopops", "migrate", "up")
            with psycopg.connect(f"{ADMIN_DSN.rsplit('/', 1)[0]}/{database}") as conn:
                found = conn.execute("SELECT to_regclass('orders')::text").fetchone()
            check("shopops migrate up migrated the scratch database", found == ("orders",))

            docker(*run, "-d", "--name", names[0], image)
            with httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=5) as http:
                until("the API to listen", lambda: http.get("/api/health/live").status_code == 200)
                until("the API to be ready", lambda: http.get("/api/health/ready").status_code == 200)
                check("API live and ready (database, redis, temporal up)", True)
                page = http.get("/orders")
                check("the UI is served", page.status_code == 200 and "<!doctype html>" in page.text.lower())
            until("Docker's HEALTHCHECK to report healthy",
                  lambda: docker("inspect", "--format", "{{.State.Health.Status}}", names[0]) == "healthy")
            check("HEALTHCHECK healthy", True)

            worker_env = [*run, "-e", f"HEALTHCHECK_URL=http://127.0.0.1:{health_port}/live"]
            docker(*worker_env, "-d", "--name", names[1], image, "shopops", "worker", "-q", "maintenance")
            with httpx.Client(base_url=f"http://127.0.0.1:{health_port}", timeout=5) as http:
                until("the worker to be ready", lambda: http.get("/ready").status_code == 200)
            check("worker -q maintenance ready on its health port", True)
            docker("stop", "-t", "30", names[1])
            code = docker("inspect", "--format", "{{.State.ExitCode}}", names[1])
            logs = subprocess.run(["docker", "logs", names[1]], capture_output=True, text=True)
            check("SIGTERM drains the worker and it exits 0", code == "0" and "worker drained" in logs.stdout + logs.stderr,
                  f"exit {code}")
            print(f"image={image} smoke=passed")
        finally:
            for name in names:
                docker("rm", "-f", name, check=False)
            if temporal is not None:
                temporal.terminate()
                temporal.wait(timeout=30)
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "shopops:0.1.0")
