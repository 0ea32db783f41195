"""Catalog feeds of one shop: one activity writes every format from one pass over the catalog.

Started by the shop's `feeds:{shop_id}` schedule (workflows.schedules.feeds_schedule, created
when the owner enables feeds) and by the API's "generate now". The workflow id is per shop, so
two generations of one shop never write the same files at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from temporalio import workflow

from workflows import activity_names as names
from workflows import search_attributes
from workflows.common import HEAVY_RETRY

FEED_FORMATS = ("heureka", "zbozi", "google", "idealo")


def feeds_workflow_id(shop_id: int) -> str:
    return f"feeds:{shop_id}"


@dataclass(frozen=True)
class FeedsRequest:
    shop_id: int
    formats: list[str] = field(default_factory=lambda: list(FEED_FORMATS))


@dataclass(frozen=True)
class GenerateFeeds:
    shop_id: int
    formats: list[str]
    at: datetime  # the workflow's time: recorded as the feeds' generation time


@dataclass(frozen=True)
class FormatWritten:
    format: str
    items: int
    skipped: int  # left out: no product page, or no image where the format requires one
    bytes: int


@dataclass(frozen=True)
class FeedsResult:
    shop_id: int
    status: str  # completed | disabled (no enabled feeds for the shop)
    items: int = 0  # catalog rows read
    written: list[FormatWritten] = field(default_factory=list[FormatWritten])


@dataclass
class FeedsProgress:
    phase: str = "started"  # started | writing | completed | disabled


@workflow.defn
class FeedsWorkflow:
    def __init__(self) -> None:
        self._progress = FeedsProgress()

    @workflow.query
    def progress(self) -> FeedsProgress:
        return self._progress

    @workflow.run
    async def run(self, req: FeedsRequest) -> FeedsResult:
        self._progress.phase = "writing"
        # a 500 000-item catalog takes tens of seconds; heartbeats every batch keep it alive
        result: FeedsResult = await workflow.execute_activity(
            names.GENERATE_FEEDS,
            GenerateFeeds(req.shop_id, list(req.formats), workflow.now()),
            start_to_close_timeout=timedelta(minutes=30),
            heartbeat_timeout=timedelta(minutes=2),
            retry_policy=HEAVY_RETRY,
            result_type=FeedsResult,
        )
        self._progress.phase = result.status
        search_attributes.set_status(result.status)
        return result
