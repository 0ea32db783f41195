"""Weekly reports: the per-shop Schedule, "generate now", and reading stored reports."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from api.problems import Problem
from api.services.shop_runs import StartedOut
from db.models import Report
from infra.temporal_client import create_or_update_schedule
from workflows import search_attributes
from workflows.queues import Queue
from workflows.reports import ReportRequest, WeeklyReportWorkflow, report_id

# The weekly reports have their own queue, so a slow PDF never holds up a notification.
REPORTS_QUEUE = Queue.REPORTS
# Monday 06:00 in Prague: the week closed at midnight, the owner reads it with the coffee.
WEEKLY_CRON = "0 6 * * 1"


class ReportBrief(BaseModel):
    id: int
    kind: str
    period_start: date
    period_end: date
    revenue: str
    orders: int
    currency: str
    summarized: bool
    emailed_to: int
    created_at: datetime


class ReportOut(ReportBrief):
    data: dict[str, Any]
    summary: str | None  # in the reader's language


def schedule_id(shop_id: int) -> str:
    return f"reports:weekly:{shop_id}"


async def ensure_report_schedule(client: Client, shop_id: int) -> None:
    """The shop's weekly Schedule (idempotent); each run reports the week before its start."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            WeeklyReportWorkflow.run,
            ReportRequest(shop_id),
            id=report_id(shop_id),
            task_queue=REPORTS_QUEUE.value,
            typed_search_attributes=search_attributes.for_run("reports", shop_id),
        ),
        spec=ScheduleSpec(cron_expressions=[WEEKLY_CRON], time_zone_name="Europe/Prague"),
        # a missed time (the scheduler down) is still taken within a week; the run itself
        # produces the weeks missed while the worker was down (workflows/reports.py backfill)
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(days=7)),
    )
    await create_or_update_schedule(client, schedule_id(shop_id), schedule, keep_state=True)


async def generate_now(
    client: Client, shop_id: int, week_start: date | None, email: bool
) -> StartedOut:
    """Start the report of the last full week (or `week_start`'s); a running one is reused."""
    if week_start is not None and week_start.weekday() != 0:
        raise Problem(422, "Invalid request", f"week_start: {week_start} is not a Monday")
    request = ReportRequest(
        shop_id, week_start=week_start.isoformat() if week_start else None, email=email
    )
    try:
        handle = await client.start_workflow(
            WeeklyReportWorkflow.run,
            request,
            id=f"{report_id(shop_id)}:now",
            task_queue=REPORTS_QUEUE.value,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=search_attributes.for_run("reports", shop_id),
        )
    except RPCError as exc:
        raise Problem(503, "Could not start the report", f"Temporal refused: {exc}") from exc
    return StartedOut(workflow_id=handle.id, run_id=handle.result_run_id, started=True)


def _brief(r: Report) -> ReportBrief:
    return ReportBrief(
        id=r.id,
        kind=r.kind,
        period_start=r.period_start,
        period_end=r.period_end,
        revenue=r.data.get("revenue", "0"),
        orders=r.data.get("orders", 0),
        currency=r.data.get("currency", "CZK"),
        summarized=r.summary_en is not None,
        emailed_to=len(r.emailed_to or []),
        created_at=r.created_at,
    )


async def list_reports(session: AsyncSession, shop_id: int, limit: int) -> list[ReportBrief]:
    rows = (
        await session.execute(
            select(Report)
            .where(Report.shop_id == shop_id)
            .order_by(Report.period_start.desc())
            .limit(limit)
        )
    ).scalars()
    return [_brief(r) for r in rows]


async def get_report(session: AsyncSession, shop_id: int, rid: int) -> Report:
    report = (
        await session.execute(select(Report).where(Report.shop_id == shop_id, Report.id == rid))
    ).scalar_one_or_none()
    if report is None:
        raise Problem(404, "Report not found", f"No report {rid} in this shop.")
    return report


def report_out(report: Report, lang: str) -> ReportOut:
    summary = report.summary_cs if lang == "cs" else report.summary_en
    return ReportOut(
        **_brief(report).model_dump(), data=report.data, summary=summary or report.summary_en
    )
