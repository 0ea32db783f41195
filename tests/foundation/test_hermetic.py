"""No tracked file names a path that exists only on one build machine (a workspace or a home
directory): a fresh clone elsewhere must run every test. System locations the product really
uses (/usr/bin/chromium, /usr/lib/postgresql/…, /var/lib/shopops/…) are not machine paths."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Home and workspace roots of Linux, macOS and Windows build machines and CI runners.
MACHINE_PATH = re.compile(
    r"(?<![\w.~-])(?:/(?:work|root|home|Users|builds|runner)/[\w.-]+"
    r"|[A-Za-z]:\\(?:Users|work)\\[\w.-]+)"
)


def machine_paths(text: str) -> list[str]:
    """The machine-specific absolute paths named in `text`."""
    return [m.group(0) for m in MACHINE_PATH.finditer(text)]


def _tracked_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    return [ROOT / name for name in listed.split("\0") if name]


def test_the_matcher_tells_machine_paths_from_system_paths() -> None:
    home = "/" + "home/ci/shopops/tests"
    assert machine_paths(f'OPENAPI = Path("{home}")') == ["/" + "home/ci"]
    assert machine_paths("open('/" + "work/shared/x.yaml')") == ["/" + "work/shared"]
    windows = "C:" + r"\Users\dev"  # split so this file does not name one itself
    assert machine_paths(windows + r"\shopops") == [windows]
    for allowed in (
        "/usr/bin/chromium",
        "/usr/lib/postgresql/15/bin/pg_dump",
        "/var/lib/shopops/pitr",
        "https://example.com/home/page",
        "~/home/x",
        "ui/src/pages/home/index.tsx",
    ):
        assert machine_paths(allowed) == [], allowed


def test_no_tracked_file_names_a_build_machine_path() -> None:
    found: list[str] = []
    for path in _tracked_files():
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary
        for hit in machine_paths(text):
            found.append(f"{path.relative_to(ROOT)}: {hit}")
    assert not found, "machine-specific paths in tracked files:\n" + "\n".join(found)
