# pyright: strict
"""The shop's weather series (its weather region's, table weather_daily): read by every member
of the shop; a CSV upload by managers stores or corrects days. A bad CSV (unreadable, missing
columns, a malformed value, a gap, a day twice) is a 422 problem saying what to fix."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request

from api.deps import ManagedShop, SessionDep, ShopOfCaller
from api.problems import Problem
from api.services.inventory import weather
from api.services.inventory.weather import WeatherDayOut, WeatherImportOut

router = APIRouter(prefix="/api/shops/{shop_id}/weather", tags=["weather"])

MAX_CSV_BYTES = 5 * 1024 * 1024


@router.get("")
async def list_weather(
    shop: ShopOfCaller, session: SessionDep, since: date, until: date
) -> list[WeatherDayOut]:
    """The stored days since .. until (at most 3 years) of the shop's weather region."""
    if until < since or (until - since).days > 3 * 366:
        raise Problem(422, "Bad range", "until must be on or after since, within 3 years")
    return await weather.list_days(session, shop.id, since, until)


@router.post("/csv")
async def upload_weather_csv(
    shop: ManagedShop, session: SessionDep, request: Request
) -> WeatherImportOut:
    """A CSV body (UTF-8) with a header `day,temperature,precipitation` (or Open-Meteo's
    `time,temperature_2m_mean,precipitation_sum`), one row per day and no gaps; its days are
    stored for the shop's weather region, replacing stored values of the same days."""
    body = await request.body()
    if len(body) > MAX_CSV_BYTES:
        raise Problem(413, "CSV too large", f"at most {MAX_CSV_BYTES // 1024 // 1024} MB")
    try:
        content = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Problem(422, "Invalid CSV", "body: the file is not UTF-8") from None
    if not content.strip():
        raise Problem(422, "Invalid CSV", "body: the file is empty")
    return await weather.upload_csv(session, shop.id, content)
