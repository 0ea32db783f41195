"""The image's Python content, without Docker: the project built as a wheel and installed into
a fresh virtualenv, the way `infra/deploy/Dockerfile` does it (`pip wheel --no-deps .`, then
`pip install` of that wheel; the built UI copied to `<site-packages>/ui/dist`), and run from
outside the checkout. What only the checkout has (a data file that is not package data, a
module outside the packages, a path computed from the repository root) fails here, not in
production. Dependencies come from the test venv's own site-packages (a `.pth` line, which does
not run the editable install's finder), so nothing is downloaded."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from db.scratch import empty_database
from tests.live import free_port

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("workflows", "activities", "api", "db", "infra", "bench")
# what the runtime reads from disk beside its modules (paths relative to site-packages)
DATA_FILES = ("infra/pitr/archive_wal.sh", "db/migrations/alembic.ini", "db/migrations/env.py")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A venv holding only the wheel: its site-packages directory."""
    tmp = tmp_path_factory.mktemp("packaged")
    src = tmp / "src"  # setuptools writes build/ and *.egg-info into the source tree
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(src)],
                   check=True, cwd=tmp)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([*pip, "--python", str(python), "install", "--no-deps", "--no-index",
                    *map(str, wheels.glob("shopops-*.whl"))], check=True, cwd=tmp)
    site = Path(subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip())
    (site / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # the Dockerfile's `COPY --from=ui /src/ui/dist …/site-packages/ui/dist`
    dist = site / "ui" / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>shopops packaged</title>")
    yield site


def _env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["DATABASE_URL"] = database_url
    return env


def test_the_wheel_holds_every_module_and_data_file(installed: Path, tmp_path: Path) -> None:
    for package in PACKAGES:
        modules = {p.relative_to(ROOT) for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts}
        missing = sorted(str(m) for m in modules if not (installed / m).is_file())
        assert not missing, f"not in the wheel: {missing[:10]}"
    for name in DATA_FILES:
        assert (installed / name).is_file(), f"{name} is not package data"
    versions = {p.name for p in (ROOT / "db/migrations/versions").glob("*.py")}
    assert versions == {p.name for p in (installed / "db/migrations/versions").glob("*.py")}


def test_modules_load_from_the_install_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    probe = (
        "import api.app, activities.registry, workflows, db.migrate, activities.safety.pitr as p;"
        "import sys; print(api.app.__file__); print(p.ARCHIVE_SCRIPT.is_file()); print(api.app.UI_DIST)"
    )
    out = subprocess.run(
        [installed.parents[2] / "bin" / "python", "-c", probe],
        check=True, capture_output=True, text=True, cwd=tmp_path, env=_env(os.environ["DATABASE_URL"]),
    ).stdout.split("\n")
    assert Path(out[0]).is_relative_to(installed), out[0]
    assert out[1] == "True", "the PITR archive script is not beside the installed code"
    assert Path(out[2]) == installed / "ui" / "dist"


def test_the_installed_cli_migrates_a_database_and_serves_api_and_ui(installed: Path, tmp_path: Path) -> None:
    base = os.environ["DATABASE_URL"]
    name = f"{base.rsplit('/', 1)[1]}_packaged"
    admin = base.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)[0] + "/postgres"
    shopops = str(installed.parents[2] / "bin" / "shopops")
    proc: subprocess.Popen[bytes] | None = None
    with empty_database(admin, name) as libpq_url:
        url = libpq_url.replace("postgresql://", "postgresql+psycopg://")
        try:
            subprocess.run([shopops, "migrate", "up"], check=True, cwd=tmp_path, env=_env(url))
            with psycopg.connect(url.replace("+psycopg", "")) as conn:
                assert conn.execute("SELECT to_regclass('orders')").fetchone() == ("orders",)
            port = free_port()
            proc = subprocess.Popen([shopops, "api", "--host", "127.0.0.1", "--port", str(port)],
                                    cwd=tmp_path, env=_env(url))
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
                for _ in range(300):
                    assert proc.poll() is None, "the installed API exited"
                    try:
                        live = http.get("/api/health/live")
                        break
                    except httpx.TransportError:
                        time.sleep(0.1)
                else:
                    raise AssertionError("the installed API never listened")
                assert live.status_code == 200, live.text
                page = http.get("/orders")  # a client-side route: the SPA's index.html
                assert page.status_code == 200 and "shopops packaged" in page.text
                assert http.get("/api/auth/me").status_code == 401
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
