"""The weekly report's steps as activities; each stores its result on the `reports` row."""

from __future__ import annotations

from datetime import date, datetime

import httpx
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import ai
from activities.notifications import mailer
from activities.reports import render, weekly
from db.engine import session_scope
from db.metering import BudgetExceeded
from db.models import Report, Shop, ShopMembership, User
from db.notify import notify
from workflows.reports import WEEKLY, ReportRequest, ReportStep

SUMMARY_PROMPT = (
    "You write for the owner of a small e-shop. From the JSON of last week's sales report, "
    "write a plain-language summary of at most five sentences: how the week went against the "
    "previous one, what sold best, which customers and products need attention. Write it "
    "first in English, then a line with only ---, then the same in Czech."
)


async def _report(report_id: int) -> tuple[Report, str]:
    async with session_scope() as session:
        report = await session.get(Report, report_id)
        if report is None:
            raise ApplicationError(f"no report {report_id}", non_retryable=True)
        shop = await session.get(Shop, report.shop_id)
        session.expunge(report)
        return report, shop.name if shop else str(report.shop_id)


@activity.defn
async def collect_weekly_report(req: ReportRequest) -> int:
    if req.week_start is not None:
        start = date.fromisoformat(req.week_start)
        if start.weekday() != 0:
            raise ApplicationError(f"week_start {start} is not a Monday", non_retryable=True)
    else:
        assert req.as_of is not None
        start = weekly.last_full_week(datetime.fromisoformat(req.as_of))
    async with session_scope() as session:
        data = await weekly.collect(session, req.shop_id, start)
        stmt = insert(Report).values(
            shop_id=req.shop_id, kind=WEEKLY, period_start=start,
            period_end=date.fromisoformat(data["week_end"]), data=data,
        )
        report_id = await session.scalar(
            stmt.on_conflict_do_update(
                constraint="uq_reports_shop_id",
                set_={"data": data, "html_en": None, "html_cs": None, "pdf_en": None,
                      "pdf_cs": None, "summary_en": None, "summary_cs": None,
                      "emailed_to": None},
            ).returning(Report.id)
        )
    assert report_id is not None
    return report_id


@activity.defn
async def summarize_report(step: ReportStep) -> bool:
    """The AI provider's plain-language summary, when AI is on and the budget has room."""
    if not ai.enabled():
        return False
    report, _ = await _report(step.report_id)
    import json

    try:
        answer = await ai.chat(
            [{"role": "system", "content": SUMMARY_PROMPT},
             {"role": "user", "content": json.dumps(report.data)}],
            shop_id=report.shop_id,
        )
    except BudgetExceeded as exc:
        activity.logger.warning("report %s goes without a summary: %s", report.id, exc)
        return False
    except httpx.HTTPError as exc:
        raise ApplicationError(f"the AI provider failed: {exc}") from None
    english, _, czech = answer.text.partition("\n---")
    async with session_scope() as session:
        row = await session.get(Report, step.report_id)
        assert row is not None
        row.summary_en = english.strip()
        row.summary_cs = czech.strip() or None
    return True


@activity.defn
async def render_report(step: ReportStep) -> None:
    report, shop_name = await _report(step.report_id)
    summaries = {"en": report.summary_en, "cs": report.summary_cs or report.summary_en}
    docs = {}
    for lang in ("en", "cs"):
        docs[f"html_{lang}"] = render.report_html(report.data, shop_name, lang, summaries[lang])
        docs[f"pdf_{lang}"] = render.report_pdf(report.data, shop_name, lang, summaries[lang])
    async with session_scope() as session:
        row = await session.get(Report, step.report_id)
        assert row is not None
        for key, value in docs.items():
            setattr(row, key, value)


@activity.defn
async def email_report(step: ReportStep) -> int:
    """To each owner of the shop in their language, the PDF attached; returns recipients.
    An owner it already went to is skipped, so a retry sends no second copy."""
    report, shop_name = await _report(step.report_id)
    async with session_scope() as session:
        owners = (
            await session.execute(
                select(User.email, User.locale)
                .join(ShopMembership, ShopMembership.user_id == User.id)
                .where(ShopMembership.shop_id == report.shop_id, ShopMembership.role == "owner",
                       User.is_active)
                .order_by(User.email)
            )
        ).all()
    done = list(report.emailed_to or [])
    if mailer.enabled():
        for email, locale in owners:
            if email in done:
                continue
            lang = "cs" if locale.startswith("cs") else "en"
            pdf, html = getattr(report, f"pdf_{lang}"), getattr(report, f"html_{lang}")
            title = render.LABELS[lang]["title"]
            period = render.day_text(report.data["week_start"], lang)
            mail = mailer.Mail(
                to=[email],
                subject=f"{title}: {shop_name} ({period})",
                text=_text(report.data, shop_name, lang, getattr(report, f"summary_{lang}")),
                html=html,
                attachments=[mailer.Attachment(
                    f"report-{report.data['week_start']}.pdf", "application/pdf", pdf)],
            )
            try:
                await mailer.send(mail, shop_id=report.shop_id)
            except BudgetExceeded as exc:
                activity.logger.warning("report %s not e-mailed to %s: %s", report.id, email, exc)
                break
            done.append(email)
            async with session_scope() as session:
                row = await session.get(Report, report.id)
                assert row is not None
                row.emailed_to = list(done)
    async with session_scope() as session:
        start = report.data["week_start"]
        await notify(
            session, level="info", kind="report.ready", shop_id=report.shop_id,
            title=f"Weekly sales report of {shop_name} for the week of {start} is ready",
            title_cs=f"Týdenní přehled prodejů {shop_name} za týden od "
                     f"{render.day_text(start, 'cs')} je hotov",
            key=f"weekly:{start}", data={"report_id": report.id},
        )
    return len(done)


def _text(data: dict[str, object], shop_name: str, lang: str, summary: str | None) -> str:
    t = render.LABELS[lang]
    cur = data["currency"]
    lines = [
        f"{t['title']}: {shop_name}",
        f"{t['revenue']}: {render.money(str(data['revenue']), lang)} {cur}",
        f"{t['orders']}: {data['orders']}",
        f"{t['aov']}: {render.money(str(data['average_order_value']), lang)} {cur}",
    ]
    if summary:
        lines += ["", summary]
    return "\n".join(lines)


ACTIVITIES = [collect_weekly_report, summarize_report, render_report, email_report]
