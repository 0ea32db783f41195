# pyright: strict
"""Daily weather per region, from a CSV file or an Open-Meteo-compatible HTTP archive.

Both sources answer the same question — the mean temperature and the precipitation of each
day at a place — as a frame indexed by a daily PeriodIndex with columns `temperature` (°C)
and `precipitation` (mm), which forecast_many takes as regressors. Bad input (a malformed
CSV row, a gap, an archive that refuses the request) is a WeatherError naming what to fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import httpx
import numpy as np
import pandas as pd

from db.weather_csv import WeatherCsvError, parse_csv

COLUMNS = ("temperature", "precipitation")
CLIMATE_WINDOW = 3  # days either side of a calendar day whose stored weather it averages
RECENT_DAYS = 14  # fallback for a calendar day no stored year covers


class WeatherError(ValueError):
    """The weather could not be read: the message says from where and what is wrong."""


class WeatherSource(Protocol):
    def daily(self, latitude: float, longitude: float, start: date, end: date) -> pd.DataFrame:
        """Temperature and precipitation of every day from `start` to `end` (inclusive)."""
        ...


def _checked(frame: pd.DataFrame, start: date, end: date, what: str) -> pd.DataFrame:
    """The days start .. end of a (day, temperature, precipitation) frame, or a WeatherError."""
    missing = [c for c in ("day", *COLUMNS) if c not in frame.columns]
    if missing:
        raise WeatherError(
            f"{what} lacks columns {missing}; expected day, temperature, precipitation"
        )
    try:
        days = pd.PeriodIndex(pd.to_datetime(frame["day"], format="ISO8601"), freq="D")
        values = frame[list(COLUMNS)].apply(pd.to_numeric, errors="raise").astype(float)
    except (TypeError, ValueError) as error:
        raise WeatherError(f"{what} has a malformed day or value: {error}") from None
    if days.has_duplicates:
        raise WeatherError(f"{what} lists {days[days.duplicated()][0]} twice")
    wanted = pd.period_range(start, end, freq="D", name="period")
    out = values.set_axis(days).reindex(wanted)
    gaps = out.index[out.isna().any(axis=1)]
    if len(gaps):
        raise WeatherError(
            f"{what} has no weather for {len(gaps)} days of {start} .. {end} "
            f"(first {gaps[0]}); import the missing days"
        )
    return out


@dataclass(frozen=True)
class CsvWeather:
    """A CSV with a header (day/date, temperature, precipitation), one row per day, read as
    the API's upload reads it (db.weather_csv: `;` or `,`, decimal commas, faults by line);
    one file serves one region, so the coordinates only label the error messages."""

    source: Path | str  # a path, or the CSV text itself

    def daily(self, latitude: float, longitude: float, start: date, end: date) -> pd.DataFrame:
        text = self.source.read_text() if isinstance(self.source, Path) else self.source
        what = f"weather CSV for ({latitude}, {longitude})"
        try:
            found = parse_csv(text, contiguous=False)  # the range asked is checked below
        except WeatherCsvError as error:
            raise WeatherError(f"{what}: {error}") from None
        days = sorted(found)
        frame = pd.DataFrame(
            {
                "day": [d.isoformat() for d in days],
                "temperature": [found[d][0] for d in days],
                "precipitation": [found[d][1] for d in days],
            }
        )
        return _checked(frame, start, end, what)


@dataclass(frozen=True)
class OpenMeteoWeather:
    """An Open-Meteo-compatible archive: GET {base_url}/v1/archive with the daily variables
    temperature_2m_mean and precipitation_sum (the sandbox serves one)."""

    base_url: str
    timeout_s: float = 30.0

    def daily(self, latitude: float, longitude: float, start: date, end: date) -> pd.DataFrame:
        params: dict[str, Any] = {
            "latitude": latitude,
            "longitude": longitude,
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "daily": "temperature_2m_mean,precipitation_sum",
        }
        url = f"{self.base_url.rstrip('/')}/v1/archive"
        try:
            response = httpx.get(url, params=params, timeout=self.timeout_s)
        except httpx.HTTPError as error:
            raise WeatherError(f"weather archive {url} did not answer: {error}") from None
        if response.status_code != 200:
            raise WeatherError(
                f"weather archive {url} refused ({response.status_code}): {response.text[:200]}"
            )
        payload: dict[str, Any] = response.json()
        daily: dict[str, list[Any]] = payload.get("daily") or {}
        frame = pd.DataFrame(
            {
                "day": daily.get("time", []),
                "temperature": daily.get("temperature_2m_mean", []),
                "precipitation": daily.get("precipitation_sum", []),
            }
        )
        return _checked(frame, start, end, f"weather archive {url} for ({latitude}, {longitude})")


def weather_regressors(
    stored: pd.DataFrame | None, periods: pd.PeriodIndex, horizon: int
) -> pd.DataFrame | None:
    """A region's stored weather (daily PeriodIndex × temperature, precipitation) as the
    regressors `weather.temperature`, `weather.precipitation` over history and horizon; None
    where it misses a day of the history (nothing sound to learn from). An archive has no
    future weather, so the horizon's days without a stored value take the climatology: the
    mean of the same calendar days ±CLIMATE_WINDOW of the stored years, else of the last
    RECENT_DAYS stored days."""
    if stored is None or stored.empty or periods.freqstr.split("-")[0].upper() != "D":
        return None
    days = pd.period_range(periods[0], periods[-1] + horizon, freq="D")
    out = stored[list(COLUMNS)].astype(float).reindex(days)
    if out.iloc[: len(periods)].isna().to_numpy().any():
        return None
    known = stored.loc[: periods[-1], list(COLUMNS)].astype(float)
    values = known.to_numpy()
    yday = np.asarray(pd.PeriodIndex(known.index).to_timestamp().dayofyear)
    wanted = np.asarray(days.to_timestamp().dayofyear)
    recent = values[-RECENT_DAYS:].mean(axis=0)
    for position in np.flatnonzero(out.isna().any(axis=1).to_numpy()).tolist():
        distance = np.abs(yday - wanted[position])
        near = np.minimum(distance, 365 - distance) <= CLIMATE_WINDOW
        out.iloc[position] = values[near].mean(axis=0) if near.any() else recent
    return out.rename(columns={c: f"weather.{c}" for c in COLUMNS})
