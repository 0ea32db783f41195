"""A stored history of a real delivery (five failures, durable timers, then a 200) replays
against today's workflow code.

Refresh it after an intended change with `SHOPOPS_RECORD_HISTORIES=1 .venv/bin/pytest
tests/outbound_webhooks/test_deliveries.py -k five_times`.
"""

from __future__ import annotations

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.outbound_webhooks.conftest import HISTORIES
from workflows.outbound_webhooks import OutboundDeliveryWorkflow, backoff


async def test_recorded_delivery_history_replays() -> None:
    path = HISTORIES / "delivery.json"
    assert path.exists(), f"{path} missing: record it with SHOPOPS_RECORD_HISTORIES=1"
    history = WorkflowHistory.from_json("delivery", path.read_text())
    result = await Replayer(workflows=[OutboundDeliveryWorkflow]).replay_workflow(history)
    assert result.replay_failure is None


def test_backoff_doubles_up_to_its_ceiling() -> None:
    assert [backoff(n, 30, 3600) for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
