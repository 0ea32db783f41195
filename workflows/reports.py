"""The weekly sales report of one shop: collect → summarize (AI, when on) → render → e-mail.

A weekly Schedule per shop starts it on Monday morning (Prague) for the week that just ended;
"generate now" starts it from the API. The run's clock is `as_of` or the workflow's own time,
so a replay and a test compute the same week. Each step stores its result on the `reports` row,
so a retried step repeats only itself, and a report regenerated for the same week replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow

from workflows import activity_names as act
from workflows.common import DB_RETRY, ONE_RETRY, QUICK_RETRY

WEEKLY = "weekly_sales"
# a run for "the last full week" first produces, once each, the weeks missed since the newest
# stored report (the worker was down over the schedule's time), at most this many
BACKFILL_WEEKS = 4
BACKFILL_PATCH = "report-backfill"


@dataclass(frozen=True)
class ReportRequest:
    shop_id: int
    as_of: str | None = None  # ISO time; the report covers the last full week before it
    week_start: str | None = None  # ISO date of a Monday: that week instead
    email: bool = True


@dataclass(frozen=True)
class ReportStep:
    report_id: int


@dataclass(frozen=True)
class ReportResult:
    report_id: int
    summarized: bool
    emailed: int  # recipients the e-mail went to


def report_id(shop_id: int) -> str:
    return f"reports:weekly:{shop_id}"


@workflow.defn
class WeeklyReportWorkflow:
    @workflow.run
    async def run(self, req: ReportRequest) -> ReportResult:
        if req.as_of is None and req.week_start is None:
            req = ReportRequest(req.shop_id, workflow.now().isoformat(), None, req.email)
        if req.week_start is None and workflow.patched(BACKFILL_PATCH):
            missed = await workflow.execute_activity(
                act.MISSED_REPORT_WEEKS, req, result_type=list[str],
                start_to_close_timeout=timedelta(minutes=1), retry_policy=DB_RETRY,
            )
            for week in missed:
                await self._produce(ReportRequest(req.shop_id, None, week, req.email))
        return await self._produce(req)

    async def _produce(self, req: ReportRequest) -> ReportResult:
        rid = await workflow.execute_activity(
            act.COLLECT_WEEKLY_REPORT, req, result_type=int,
            start_to_close_timeout=timedelta(minutes=10), retry_policy=DB_RETRY,
        )
        step = ReportStep(rid)
        summarized = await workflow.execute_activity(
            act.SUMMARIZE_REPORT, step, result_type=bool,
            start_to_close_timeout=timedelta(minutes=2), retry_policy=ONE_RETRY,
        )
        await workflow.execute_activity(
            act.RENDER_REPORT, step,  # a rendering failure repeats itself: few tries
            start_to_close_timeout=timedelta(minutes=5), retry_policy=QUICK_RETRY,
        )
        emailed = 0
        if req.email:
            emailed = await workflow.execute_activity(
                act.EMAIL_REPORT, step, result_type=int,
                start_to_close_timeout=timedelta(minutes=5), retry_policy=DB_RETRY,
            )
        return ReportResult(rid, summarized, emailed)
