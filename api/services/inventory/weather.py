# pyright: strict
"""The weather series of a shop's weather region (setting analytics.inventory.weather_region):
listing and CSV upload. The nightly inventory run imports the missing days from the archive
(activities.inventory.planning) and feeds the series to the forecasts as regressors."""

from __future__ import annotations

import csv
import io
import math
from datetime import date, timedelta

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.problems import Problem
from db.app_settings import get_setting
from db.weather_columns import CSV_NAMES

MAX_REASONS = 5


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
    problem naming what is wrong with the file."""
    parsed = parse_csv(content)
    region = await region_of(session, shop_id)
    days = sorted(parsed)
    await session.execute(
        text(
            "INSERT INTO weather_daily (region, day, temperature_mean, precipitation_sum, source) "
            "VALUES (:region, :day, :t, :p, 'csv') ON CONFLICT (region, day) DO UPDATE SET "
            "temperature_mean = EXCLUDED.temperature_mean, precipitation_sum = "
            "EXCLUDED.precipitation_sum, source = 'csv', imported_at = now()"
        ),
        [
            {"region": region, "day": d, "t": parsed[d][0], "p": parsed[d][1]} for d in days
        ],
    )
    await session.commit()
    return WeatherImportOut(region=region, first_day=days[0], last_day=days[-1], days=len(days))


def parse_csv(content: str) -> dict[date, tuple[float, float]]:
    """(temperature, precipitation) per day of a weather CSV covering its first .. last day
    without gaps, or a 422 problem listing the first reasons with their line numbers."""
    sample = content[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(content), delimiter=delimiter)
    no_row: list[str] = []
    first_row = next(reader, no_row)
    header = [CSV_NAMES.get(h.strip().lower(), h.strip()) for h in first_row]
    missing = [c for c in ("day", "temperature", "precipitation") if c not in header]
    if missing:
        raise Problem(
            422,
            "Invalid weather CSV",
            f"header lacks {', '.join(missing)}; expected day,temperature,precipitation",
        )
    at = {name: header.index(name) for name in ("day", "temperature", "precipitation")}
    found: dict[date, tuple[float, float]] = {}
    reasons: list[str] = []
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            day = date.fromisoformat(row[at["day"]].strip())
            t = float(row[at["temperature"]].strip().replace(",", "."))
            p = float(row[at["precipitation"]].strip().replace(",", "."))
        except (IndexError, ValueError):
            reasons.append(f"line {line}: a day (yyyy-mm-dd) and two numbers expected")
            continue
        if not (math.isfinite(t) and math.isfinite(p)) or p < 0 or not -90 <= t <= 70:
            reasons.append(f"line {line}: temperature or precipitation out of range")
        elif day in found:
            reasons.append(f"line {line}: {day} is listed twice")
        else:
            found[day] = (t, p)
    if not found and not reasons:
        reasons.append("the file has no rows")
    if found and not reasons:
        first, last = min(found), max(found)
        gaps = (last - first).days + 1 - len(found)
        if gaps:
            gap = next(
                first + timedelta(days=i)
                for i in range((last - first).days)
                if first + timedelta(days=i) not in found
            )
            reasons.append(f"{gaps} days of {first} .. {last} are missing (first {gap})")
    if reasons:
        raise Problem(422, "Invalid weather CSV", "; ".join(reasons[:MAX_REASONS]))
    return found
