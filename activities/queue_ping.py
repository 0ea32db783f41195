"""An activity every task queue's worker runs, so each declared queue is served (and can be
probed: `shopops` benches time a ping on one queue while another is flooded)."""

from __future__ import annotations

from temporalio import activity


@activity.defn(name="queue_ping")
async def queue_ping() -> str:
    """The queue that answered."""
    return activity.info().task_queue
