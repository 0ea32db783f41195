"""Replay: today's workflow code reproduces the stored histories (determinism guard).

Histories are captured by the workflow tests (`keep_history`); re-record them with
SHOPOPS_RECORD_HISTORIES=1 after an intended, versioned change.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from workflows.safety.backups import BackupWorkflow
from workflows.safety.cleanup import CleanupWorkflow
from workflows.safety.integrity import IntegrityWorkflow
from workflows.safety.pitr import PitrBaseBackupWorkflow

HISTORIES = Path(__file__).resolve().parent / "histories"
WORKFLOWS = {
    "backup_workflow": BackupWorkflow,
    "cleanup_workflow": CleanupWorkflow,
    "integrity_workflow": IntegrityWorkflow,
    "pitr_base_backup_workflow": PitrBaseBackupWorkflow,
}


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
async def test_stored_history_replays(name: str) -> None:
    path = HISTORIES / f"{name}.json"
    assert path.exists(), (
        f"{path} is missing: run the workflow tests with SHOPOPS_RECORD_HISTORIES=1"
    )
    history = WorkflowHistory.from_json(f"replay-{name}", path.read_text())
    result = await Replayer(workflows=[WORKFLOWS[name]]).replay_workflow(history)
    assert result.replay_failure is None
