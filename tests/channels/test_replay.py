"""Stored histories of real channel syncs replay against today's workflow code (determinism
guard). Refresh after an intended change to the workflows' commands with
`SHOPOPS_RECORD_HISTORIES=1 .venv/bin/pytest tests/channels/test_sync_workflow.py`."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.channels.conftest import HISTORIES
from workflows.channels import ChannelStockPushWorkflow, ChannelSyncWorkflow


@pytest.mark.parametrize(
    "name",
    [
        "channel_sync",
        "channel_sync_auth_failure",
        "channel_stock_push",
        "channel_sync_catalog_push",
    ],
)
async def test_recorded_history_replays(name: str) -> None:
    path = HISTORIES / f"{name}.json"
    assert path.exists(), f"{path} missing: record it with SHOPOPS_RECORD_HISTORIES=1"
    history = WorkflowHistory.from_json(name, path.read_text())
    replayer = Replayer(workflows=[ChannelSyncWorkflow, ChannelStockPushWorkflow])
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None
