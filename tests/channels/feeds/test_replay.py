"""The stored history of a real feeds run replays against today's workflow code (determinism
guard). Refresh it after an intended change with
`SHOPOPS_RECORD_HISTORIES=1 .venv/bin/pytest tests/channels/feeds/test_workflow.py`."""

from __future__ import annotations

from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.channels.feeds.conftest import HISTORIES
from workflows.feeds import FeedsWorkflow


async def test_recorded_feeds_history_replays() -> None:
    path = HISTORIES / "feeds.json"
    assert path.exists(), f"{path} missing: record it with SHOPOPS_RECORD_HISTORIES=1"
    history = WorkflowHistory.from_json("feeds", path.read_text())
    result = await Replayer(workflows=[FeedsWorkflow]).replay_workflow(history)
    assert result.replay_failure is None
