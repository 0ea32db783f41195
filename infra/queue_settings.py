"""Each task queue's worker settings, in one place: how much one kind of work may take at once.

A queue gets its own slots, its own thread pool (as large as its slots) and, where the work
hits someone else's server, a rate limit, so a flood on one queue (fifty exports) waits in its
own line and never takes the slots, threads or rate another queue (a webhook delivery) needs.

`max_activities_per_second` limits one worker process; `max_task_queue_activities_per_second`
is enforced by the Temporal server across every worker polling the queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflows.queues import Queue


@dataclass(frozen=True)
class QueueSettings:
    max_concurrent_activities: int = 8
    max_concurrent_workflow_tasks: int = 16
    max_activities_per_second: float | None = None
    max_task_queue_activities_per_second: float | None = None


QUEUE_SETTINGS: dict[Queue, QueueSettings] = {
    Queue.SNAPSHOTS: QueueSettings(max_concurrent_activities=8),
    Queue.SYNC: QueueSettings(max_concurrent_activities=8),
    Queue.TOKENS: QueueSettings(max_concurrent_activities=8),
    Queue.MAINTENANCE: QueueSettings(max_concurrent_activities=8),
    Queue.ANALYTICS: QueueSettings(max_concurrent_activities=8),
    # each export holds a database cursor and a file open: a few at a time, the rest queue up
    Queue.EXPORTS: QueueSettings(
        max_concurrent_activities=2, max_concurrent_workflow_tasks=8
    ),
    # e-mail and Slack servers: gentle on them
    Queue.NOTIFICATIONS: QueueSettings(
        max_concurrent_activities=8, max_activities_per_second=20
    ),
    # one delivery per activity; merchants' endpoints are slow, so many at once, but bounded
    Queue.WEBHOOKS: QueueSettings(
        max_concurrent_activities=32,
        max_concurrent_workflow_tasks=32,
        max_task_queue_activities_per_second=50,
    ),
    Queue.REPORTS: QueueSettings(max_concurrent_activities=2),
    Queue.INDEXING: QueueSettings(max_concurrent_activities=2),
    Queue.SYSTEM: QueueSettings(max_concurrent_activities=8),
}


def settings_for(queue: Queue) -> QueueSettings:
    return QUEUE_SETTINGS.get(queue, QueueSettings())
