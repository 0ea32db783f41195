"""Task queue names, in one place: separate queues keep one flood from starving another."""

from __future__ import annotations

from enum import StrEnum


class Queue(StrEnum):
    SNAPSHOTS = "shopops-snapshots"
    SYNC = "shopops-sync"
    TOKENS = "shopops-tokens"
    MAINTENANCE = "shopops-maintenance"
    ANALYTICS = "shopops-analytics"
    EXPORTS = "shopops-exports"
    NOTIFICATIONS = "shopops-notifications"
    WEBHOOKS = "shopops-webhooks"
    REPORTS = "shopops-reports"
    INDEXING = "shopops-indexing"
    SYSTEM = "shopops-system"
