"""A stored history of a real export run replays against today's workflow code.

Refresh it after an intended change to the workflow's commands with
`SHOPOPS_RECORD_HISTORIES=1 .venv/bin/pytest tests/exports/test_exports.py -k million`.
"""

from __future__ import annotations

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.exports.conftest import HISTORIES
from workflows.exports import DataExportWorkflow


async def test_recorded_export_history_replays() -> None:
    path = HISTORIES / "export.json"
    assert path.exists(), f"{path} missing: record it with SHOPOPS_RECORD_HISTORIES=1"
    history = WorkflowHistory.from_json("export", path.read_text())
    result = await Replayer(workflows=[DataExportWorkflow]).replay_workflow(history)
    assert result.replay_failure is None
