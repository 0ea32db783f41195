"""Which workflow classes each task queue's worker runs."""

from __future__ import annotations

from workflows.queues import Queue
from workflows.system import SystemCheckWorkflow

WORKFLOWS: dict[Queue, list[type]] = {
    Queue.SYSTEM: [SystemCheckWorkflow],
}
