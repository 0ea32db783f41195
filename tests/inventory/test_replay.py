"""Stored histories of real runs replay against today's workflow code (determinism guard).

Refresh them after an intended change to a workflow's commands with
`SHOPOPS_RECORD_HISTORIES=1 .venv/bin/pytest tests/inventory/test_workflow.py`.
"""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.inventory.conftest import HISTORIES
from workflows.inventory import InventoryNightlyWorkflow, InventoryWorkflow


# inventory: recorded before the weather step (the patch "inventory-weather" must skip it);
# inventory_weather: recorded with it; inventory_parallel_chunks: with the run's known chunks
# forecast `parallel_chunks` at a time (the patch "inventory-parallel-chunks")
@pytest.mark.parametrize(
    "name", ["inventory", "inventory_nightly", "inventory_weather", "inventory_parallel_chunks"]
)
async def test_recorded_history_replays(name: str) -> None:
    path = HISTORIES / f"{name}.json"
    assert path.exists(), f"{path} missing: record it with SHOPOPS_RECORD_HISTORIES=1"
    history = WorkflowHistory.from_json(name, path.read_text())
    replayer = Replayer(workflows=[InventoryWorkflow, InventoryNightlyWorkflow])
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None
