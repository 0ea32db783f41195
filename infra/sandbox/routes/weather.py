# pyright: strict
"""`GET /v1/archive`: an Open-Meteo-compatible daily weather archive with synthetic weather.

Deterministic per place and day (seeded by the rounded coordinates and the date), so tests and
demos get the same series every time: a yearly temperature cycle that is colder further north,
day-to-day weather on top, and rain on about two days in five. Only the two daily variables
the forecasts use are served; anything else is a 400 like Open-Meteo's `{"error", "reason"}`.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from fastapi import APIRouter
from starlette.responses import JSONResponse

router = APIRouter()

DAILY = ("temperature_2m_mean", "precipitation_sum")
MAX_DAYS = 366 * 20


def _bad(reason: str) -> JSONResponse:
    return JSONResponse({"error": True, "reason": reason}, status_code=400)


def synthetic_day(latitude: float, longitude: float, day: date) -> tuple[float, float]:
    """(mean temperature °C, precipitation mm) of one place and day."""
    seed = f"{round(latitude, 2)}:{round(longitude, 2)}:{day.isoformat()}"
    rng = random.Random(seed)
    season = -math.cos(2 * math.pi * (day.timetuple().tm_yday - 20) / 365.25)
    temperature = 25 - 0.3 * abs(latitude) + 11 * season + rng.gauss(0, 3.5)
    rain = rng.gammavariate(0.7, 4.0) if rng.random() < 0.4 else 0.0
    return round(temperature, 1), round(rain, 1)


@router.get("/v1/archive")
async def archive(
    latitude: float | None = None,
    longitude: float | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    daily: str | None = None,
) -> JSONResponse:
    if (
        latitude is None
        or longitude is None
        or not (-90 <= latitude <= 90 and -180 <= longitude <= 180)
    ):
        return _bad("latitude must be in [-90, 90] and longitude in [-180, 180]")
    try:
        start, end = date.fromisoformat(start_date or ""), date.fromisoformat(end_date or "")
    except ValueError:
        return _bad("start_date and end_date must be ISO dates (yyyy-mm-dd)")
    if end < start or (end - start).days > MAX_DAYS:
        return _bad(f"end_date must be on or after start_date and within {MAX_DAYS} days of it")
    wanted = [v for v in (daily or "").split(",") if v]
    unknown = [v for v in wanted if v not in DAILY]
    if not wanted or unknown:
        return _bad(
            f"daily must name some of {', '.join(DAILY)}; unknown: {unknown or 'none given'}"
        )
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    values = [synthetic_day(latitude, longitude, d) for d in days]
    series = {
        "temperature_2m_mean": [v[0] for v in values],
        "precipitation_sum": [v[1] for v in values],
    }
    return JSONResponse(
        {
            "latitude": latitude,
            "longitude": longitude,
            "timezone": "GMT",
            "daily_units": {
                "time": "iso8601",
                "temperature_2m_mean": "°C",
                "precipitation_sum": "mm",
            },
            "daily": {"time": [d.isoformat() for d in days], **{v: series[v] for v in wanted}},
        }
    )
