"""InstallationWorkflow still replays the history captured from the install suite."""

from __future__ import annotations

from tests.sync.harness import replay_histories
from workflows.installation import InstallationWorkflow


async def test_install_histories_replay() -> None:
    assert "install" in await replay_histories("install", [InstallationWorkflow])
