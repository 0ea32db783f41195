"""`make chaos`, short: five seeded faults while two shops snapshot and sync; nothing lost."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

# Part of `make test` (and alone: `make chaos-ci`).
pytestmark = pytest.mark.chaos

ROOT = Path(__file__).resolve().parents[2]
LAST_LINE = re.compile(
    r"faults=(?P<faults>\d+) lost=(?P<lost>\d+) duplicated=(?P<dup>\d+) stuck=(?P<stuck>\d+) "
    r"orphans=(?P<orphans>\d+) wall_s=(?P<wall>\d+)"
)


@pytest.mark.slow
@pytest.mark.timeout(660)
def test_short_chaos_run_loses_and_doubles_nothing(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "infra.chaos", "--faults", "5", "--seed", "3", "--orders", "1500",
         "--gap", "2", "6", "--settle", "360", "--data", str(tmp_path / "chaos")],
        cwd=ROOT, capture_output=True, text=True, timeout=640, check=False,
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-3000:]
    last = out.stdout.strip().splitlines()[-1]
    print(last)  # shown with -s, or on failure
    figures = LAST_LINE.fullmatch(last)
    assert figures, out.stdout[-3000:]
    assert int(figures["faults"]) == 5
    assert (figures["lost"], figures["dup"], figures["stuck"]) == ("0", "0", "0"), out.stdout[-4000:]
    # a SIGKILLed worker's parser pool dies with it (activities/child_guard.py)
    assert figures["orphans"] == "0", out.stdout[-4000:]
