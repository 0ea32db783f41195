"""Stored histories of real runs replay against today's workflow code (determinism guard).

The histories are recorded by tests/customers/test_workflow.py when missing; refresh
them after an intended change to the workflows' commands with
`SHOPOPS_RECORD_HISTORIES=1 .venv/bin/pytest tests/customers/test_workflow.py`.
"""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.customers.conftest import HISTORIES
from workflows.customers import CustomerAnalyticsNightlyWorkflow, CustomerAnalyticsWorkflow

NAMES = ["customer_analytics", "customer_analytics_not_enough_data", "customer_analytics_nightly"]


@pytest.mark.parametrize("name", NAMES)
async def test_recorded_history_replays(name: str) -> None:
    path = HISTORIES / f"{name}.json"
    assert path.exists(), f"{path} missing: run tests/customers/test_workflow.py first"
    history = WorkflowHistory.from_json(name, path.read_text())
    replayer = Replayer(workflows=[CustomerAnalyticsWorkflow, CustomerAnalyticsNightlyWorkflow])
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None
