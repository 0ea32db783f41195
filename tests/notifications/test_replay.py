"""Stored histories of the new workflows replay against today's code (determinism guard).

Refresh them after an intended change with `SHOPOPS_RECORD_HISTORIES=1 .venv/bin/pytest
tests/notifications tests/reports tests/metering`.
"""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.notifications.harness import HISTORIES
from workflows.metering import UsageFlushWorkflow
from workflows.notifications import NotificationDeliveryWorkflow, OutgoingMailWorkflow
from workflows.reports import WeeklyReportWorkflow


@pytest.mark.parametrize(
    "name", ["notification_delivery", "outgoing_mail", "weekly_report", "usage_flush"]
)
async def test_recorded_history_replays(name: str) -> None:
    path = HISTORIES / f"{name}.json"
    assert path.exists(), f"{path} missing: record it with SHOPOPS_RECORD_HISTORIES=1"
    history = WorkflowHistory.from_json(name, path.read_text())
    replayer = Replayer(
        workflows=[NotificationDeliveryWorkflow, OutgoingMailWorkflow, WeeklyReportWorkflow,
                   UsageFlushWorkflow]
    )
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None
