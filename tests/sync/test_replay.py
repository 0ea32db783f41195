"""SyncWorkflow still replays the histories captured from the sync suite."""

from __future__ import annotations

from tests.sync.harness import replay_histories
from workflows.sync import SyncWorkflow


async def test_sync_histories_replay() -> None:
    replayed = await replay_histories("sync", [SyncWorkflow])
    assert {"scheduled_orders", "reconcile_orders", "stock", "orders_feed"} <= set(replayed)
