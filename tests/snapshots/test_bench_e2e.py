"""The full-pipeline benchmark runs at a tiny size and ends with its figures line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAST_LINE = re.compile(
    r"orders=(?P<orders>\d+) items=(?P<items>\d+) wall_s=(?P<wall>[\d.]+) rows_per_s=(?P<rate>\d+) "
    r"ratio=(?P<ratio>[\d.]+) peak_worker_rss_mb=(?P<rss>\d+) progress_p95_ms=(?P<p95>[\d.]+)"
)


@pytest.mark.slow
@pytest.mark.timeout(280)
def test_snapshot_e2e_bench_prints_its_figures_at_a_tiny_size() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("TEMPORAL_ADDRESS", "PUBLIC_BASE_URL")}
    out = subprocess.run(
        [sys.executable, "-m", "bench.snapshot_e2e", "--orders", "2000", "--items-per-order", "4.5"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=260, check=False,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    last = out.stdout.strip().splitlines()[-1]
    figures = LAST_LINE.fullmatch(last)
    assert figures, last
    assert int(figures["orders"]) == 2000
    # shipping and billing rows plus at least one product per order
    assert int(figures["items"]) >= 3 * 2000
    assert float(figures["ratio"]) > 0 and int(figures["rss"]) > 0
