"""A weekly report missed while the worker was down is produced once when the schedule resumes:
the run for the last full week first fills the weeks since the newest stored report."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from infra.temporal_client import connect
from tests.support import MakeShop
from workflows.queues import Queue
from workflows.reports import ReportRequest, WeeklyReportWorkflow

PRAGUE = ZoneInfo("Europe/Prague")
# Tuesday 1 December 2026 in Prague: the last full week is 23–29 November
NOW = datetime(2026, 12, 1, 0, 30, tzinfo=PRAGUE)


def _weeks(db: Session, shop_id: int) -> list[tuple[str, int]]:
    rows = db.execute(
        text("SELECT period_start, id FROM reports WHERE shop_id = :s ORDER BY period_start"),
        {"s": shop_id},
    ).all()
    return [(str(start), rid) for start, rid in rows]


async def test_weeks_missed_since_the_last_report_are_produced_once(
    make_shop: MakeShop, db_session: Session, worker: object
) -> None:
    shop = make_shop(name="Backfill")
    db_session.execute(
        text("INSERT INTO orders (shop_id, code, created_at, total_with_vat) VALUES (:s, 'W1', :at, 100)"),
        {"s": shop.id, "at": datetime(2026, 11, 17, 10, tzinfo=UTC)},
    )
    # the last report the schedule made: the week of 2 November; then the worker was down
    db_session.execute(
        text("INSERT INTO reports (shop_id, kind, period_start, period_end, data) "
             "VALUES (:s, 'weekly_sales', '2026-11-02', '2026-11-09', '{}')"),
        {"s": shop.id},
    )
    db_session.commit()
    client = await connect()
    first: list[tuple[str, int]] = []
    for attempt in (1, 2):  # the schedule resumes, then fires again for the same week
        await client.execute_workflow(
            WeeklyReportWorkflow.run,
            ReportRequest(shop.id, as_of=NOW.isoformat(), email=False),
            id=f"test:report-backfill:{shop.id}:{attempt}",
            task_queue=Queue.REPORTS.value,
        )
        db_session.expire_all()
        weeks = _weeks(db_session, shop.id)
        assert [w for w, _ in weeks] == ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]
        if attempt == 1:
            first = weeks
    assert weeks == first  # nothing produced twice: the same rows, no new ones
    revenue = db_session.execute(
        text("SELECT data->>'revenue' FROM reports WHERE shop_id = :s AND period_start = '2026-11-16'"),
        {"s": shop.id},
    ).scalar_one()
    assert revenue == "100.00"
