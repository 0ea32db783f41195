"""Every app-wide Temporal Schedule, declared in one place and created idempotently at worker start.

Per-shop schedules (incremental sync) are declared by their domain and created at installation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from workflows.queues import Queue


@dataclass(frozen=True)
class ScheduleDecl:
    id: str
    workflow: str  # workflow type name
    workflow_id: str  # id of each started run (the schedule appends a timestamp)
    queue: Queue
    cron: str | None = None  # standard 5-field cron
    every: timedelta | None = None
    timezone: str = "UTC"
    args: tuple[Any, ...] = ()
    note: str = ""
    overlap: str = "SKIP"  # SKIP | BUFFER_ONE | ALLOW_ALL
    tags: tuple[str, ...] = field(default_factory=tuple)


# Domains append their declarations here (see each domain's workflow module).
APP_SCHEDULES: list[ScheduleDecl] = []
