"""The exporter is chosen by OTEL_EXPORTER; each run in a fresh interpreter (the provider is global)."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
from opentelemetry import trace
from infra.telemetry import setup_telemetry
setup_telemetry("shopops-exporter-test")
with trace.get_tracer("t").start_as_current_span("exported-span"):
    pass
trace.get_tracer_provider().force_flush()
"""


def _run(exporter: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OTEL_EXPORTER": exporter}
    return subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60)


def test_console_exporter_writes_the_span() -> None:
    result = _run("console")
    assert result.returncode == 0, result.stderr
    assert '"name": "exported-span"' in result.stdout
    assert '"service.name": "shopops-exporter-test"' in result.stdout


def test_none_exports_nothing() -> None:
    result = _run("none")
    assert result.returncode == 0, result.stderr
    assert "exported-span" not in result.stdout


def test_an_unknown_exporter_is_a_clear_error() -> None:
    result = _run("jaeger")
    assert result.returncode != 0
    assert "OTEL_EXPORTER must be one of otlp, console, none, got 'jaeger'" in result.stderr
