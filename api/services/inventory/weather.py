# pyright: strict
"""The weather series of a shop's weather region (setting analytics.inventory.weather_region):
listing and CSV upload. The nightly inventory run imports the missing days from the archive
(activities.inventory.planning) and feeds the series to the forecasts as regressors."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.problems import Problem
from db.app_settings import get_setting
from db.weather_csv import WeatherCsvError, parse_csv


class WeatherDayOut(BaseModel):
    day: date
    temperature_mean: float
    precipitation_sum: float
    source: str


class WeatherImportOut(BaseModel):
    region: str
    first_day: date
    last_day: date
    days: int


async def region_of(session: AsyncSession, shop_id: int) -> str:
    return str(await get_setting(session, "analytics.inventory.weather_region", shop_id))


async def list_days(
    session: AsyncSession, shop_id: int, since: date, until: date
) -> list[WeatherDayOut]:
    rows = await session.execute(
        text(
            "SELECT day, temperature_mean, precipitation_sum, source FROM weather_daily "
            "WHERE region = :region AND day BETWEEN :since AND :until ORDER BY day"
        ),
        {"region": await region_of(session, shop_id), "since": since, "until": until},
    )
    return [WeatherDayOut(**row) for row in rows.mappings()]


async def upload_csv(session: AsyncSession, shop_id: int, content: str) -> WeatherImportOut:
    """Store every day of the CSV for the shop's region (replacing stored values), or a 422
    problem naming what is wrong with the file (db.weather_csv reads it)."""
    try:
        parsed = parse_csv(content)
    except WeatherCsvError as error:
        raise Problem(422, "Invalid weather CSV", str(error)) from None
    region = await region_of(session, shop_id)
    days = sorted(parsed)
    await session.execute(
        text(
            "INSERT INTO weather_daily (region, day, temperature_mean, precipitation_sum, source) "
            "VALUES (:region, :day, :t, :p, 'csv') ON CONFLICT (region, day) DO UPDATE SET "
            "temperature_mean = EXCLUDED.temperature_mean, precipitation_sum = "
            "EXCLUDED.precipitation_sum, source = 'csv', imported_at = now()"
        ),
        [{"region": region, "day": d, "t": parsed[d][0], "p": parsed[d][1]} for d in days],
    )
    await session.commit()
    return WeatherImportOut(region=region, first_day=days[0], last_day=days[-1], days=len(days))
