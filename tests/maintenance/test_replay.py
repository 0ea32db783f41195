"""Stored histories of real runs replay against today's workflow code (determinism guard).

Refresh them after an intended change to a workflow's commands with
`SHOPOPS_RECORD_HISTORIES=1 .venv/bin/pytest tests/maintenance`.
"""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.maintenance.conftest import HISTORIES
from workflows.maintenance.legacy_migration import LegacyMigrationWorkflow
from workflows.maintenance.partitions import ArchiveRestoreWorkflow, PartitionMaintenanceWorkflow

NAMES = ["partitions_drain", "partitions_retention", "archive_restore", "legacy_migration"]


@pytest.mark.parametrize("name", NAMES)
async def test_recorded_history_replays(name: str) -> None:
    path = HISTORIES / f"{name}.json"
    assert path.exists(), f"{path} missing: record it with SHOPOPS_RECORD_HISTORIES=1"
    history = WorkflowHistory.from_json(name, path.read_text())
    replayer = Replayer(
        workflows=[PartitionMaintenanceWorkflow, ArchiveRestoreWorkflow, LegacyMigrationWorkflow]
    )
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None
