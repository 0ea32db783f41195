"""Which activities each task queue's worker runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activities import system
from workflows.queues import Queue

ACTIVITIES: dict[Queue, list[Callable[..., Any]]] = {
    Queue.SYSTEM: [system.check_dependencies],
}
