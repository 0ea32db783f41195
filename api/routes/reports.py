"""Weekly sales reports of a shop: list, read (data, HTML, PDF), generate now, schedule."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from api.common.params import BigIntId
from api.deps import CurrentCaller, ManagedShop, SessionDep, ShopOfCaller, TemporalDep
from api.problems import Problem
from api.services import reports
from api.services.shop_runs import StartedOut

router = APIRouter(prefix="/api/shops/{shop_id}/reports", tags=["reports"])
Lang = Annotated[str | None, Query(pattern="^(cs|en)$")]


class GenerateIn(BaseModel):
    week_start: date | None = None  # a Monday; default: the last full week
    email: bool = True


def _lang(caller: CurrentCaller, lang: str | None) -> str:
    return lang or ("cs" if caller.user.locale.startswith("cs") else "en")


@router.get("")
async def list_reports(
    shop: ShopOfCaller, session: SessionDep, limit: Annotated[int, Query(ge=1, le=200)] = 52
) -> list[reports.ReportBrief]:
    """Newest week first."""
    return await reports.list_reports(session, shop.id, limit)


@router.post("/generate", status_code=202)
async def generate(
    shop: ManagedShop, temporal: TemporalDep, body: GenerateIn | None = None
) -> StartedOut:
    """Generate (and e-mail) the report now, in the background."""
    body = body or GenerateIn()
    return await reports.generate_now(temporal, shop.id, body.week_start, body.email)


@router.post("/schedule", status_code=204)
async def ensure_schedule(shop: ManagedShop, temporal: TemporalDep) -> None:
    """Create (or repair) the shop's weekly Schedule: Monday 06:00 Prague."""
    await reports.ensure_report_schedule(temporal, shop.id)


@router.get("/{report_id}")
async def get_report(
    shop: ShopOfCaller, caller: CurrentCaller, session: SessionDep, report_id: BigIntId,
    lang: Lang = None,
) -> reports.ReportOut:
    report = await reports.get_report(session, shop.id, report_id)
    return reports.report_out(report, _lang(caller, lang))


@router.get("/{report_id}/html", response_class=HTMLResponse)
async def report_html(
    shop: ShopOfCaller, caller: CurrentCaller, session: SessionDep, report_id: BigIntId,
    lang: Lang = None,
) -> HTMLResponse:
    """The report as the e-mail shows it, in `lang` (default: the caller's locale)."""
    report = await reports.get_report(session, shop.id, report_id)
    html = getattr(report, f"html_{_lang(caller, lang)}")
    if html is None:
        raise Problem(409, "Report not rendered yet", f"Report {report_id} is still being made.")
    # the report's own inline styles only; nothing it contains may run script
    csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return HTMLResponse(html, headers={"Content-Security-Policy": csp})


@router.get("/{report_id}/pdf")
async def report_pdf(
    shop: ShopOfCaller, caller: CurrentCaller, session: SessionDep, report_id: BigIntId,
    lang: Lang = None,
) -> Response:
    report = await reports.get_report(session, shop.id, report_id)
    pdf = getattr(report, f"pdf_{_lang(caller, lang)}")
    if pdf is None:
        raise Problem(409, "Report not rendered yet", f"Report {report_id} is still being made.")
    name = f"report-{report.period_start.isoformat()}.pdf"
    return Response(
        pdf, media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
