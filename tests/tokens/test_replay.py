"""ShopTokenWorkflow still replays the histories captured from the token suite: a change
that would break running token workflows (non-determinism) fails here first."""

from __future__ import annotations

from tests.sync.harness import replay_histories
from workflows.tokens import ShopTokenWorkflow


async def test_token_histories_replay() -> None:
    replayed = await replay_histories("tokens", [ShopTokenWorkflow])
    assert {"concurrent_expiry", "token_cap", "proactive", "continue_as_new"} <= set(replayed)
