# pyright: strict
"""The stored weather series per region (table weather_daily): incremental import from a
WeatherSource, a CSV's own span, and the regressor frame the nightly forecasts read.

Import is incremental and idempotent: only the days of start .. end missing for the region are
fetched (one request per contiguous gap) and inserted with ON CONFLICT DO NOTHING, so a rerun
adds nothing. The forecasts need the weather of the horizon too, which an archive does not
have: those days take the region's climatology (weather.weather_regressors).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import psycopg

from activities.inventory.weather import WeatherSource


def missing_spans(have: set[date], start: date, end: date) -> list[tuple[date, date]]:
    """The contiguous runs of days start .. end not in `have`, in order."""
    spans: list[tuple[date, date]] = []
    day, gap_from = start, None
    while day <= end:
        if day in have:
            if gap_from is not None:
                spans.append((gap_from, day - timedelta(days=1)))
                gap_from = None
        elif gap_from is None:
            gap_from = day
        day += timedelta(days=1)
    if gap_from is not None:
        spans.append((gap_from, end))
    return spans


def stored_days(conn: psycopg.Connection, region: str, start: date, end: date) -> set[date]:
    rows = conn.execute(
        "SELECT day FROM weather_daily WHERE region = %s AND day BETWEEN %s AND %s",
        (region, start, end),
    ).fetchall()
    return {row[0] for row in rows}


def store(
    conn: psycopg.Connection, region: str, frame: pd.DataFrame, source: str, replace: bool
) -> int:
    """Write a (daily PeriodIndex × temperature, precipitation) frame; returns rows written.
    `replace` overwrites stored days (a CSV upload corrects them), else they are kept."""
    conflict = (
        "DO UPDATE SET temperature_mean = EXCLUDED.temperature_mean, precipitation_sum = "
        "EXCLUDED.precipitation_sum, source = EXCLUDED.source, imported_at = now()"
        if replace
        else "DO NOTHING"
    )
    rows = [
        (region, period.to_timestamp().date(), float(t), float(p), source)
        for period, t, p in zip(
            frame.index, frame["temperature"], frame["precipitation"], strict=True
        )
    ]
    written = 0
    with conn.cursor() as cur:
        for row in rows:
            cur.execute(
                "INSERT INTO weather_daily (region, day, temperature_mean, precipitation_sum, "
                f"source) VALUES (%s, %s, %s, %s, %s) ON CONFLICT (region, day) {conflict}",
                row,
            )
            written += cur.rowcount
    return written


def import_missing(
    conn: psycopg.Connection,
    region: str,
    latitude: float,
    longitude: float,
    source: WeatherSource,
    start: date,
    end: date,
) -> int:
    """Fetch and store the region's days start .. end not stored yet; returns the rows added.
    A WeatherError (the source refused or sent a gap) leaves what was stored before it."""
    have = stored_days(conn, region, start, end)
    conn.commit()  # each gap is its own transaction: a later failure keeps the earlier ones
    added = 0
    for gap_from, gap_to in missing_spans(have, start, end):
        frame = source.daily(latitude, longitude, gap_from, gap_to)
        with conn.transaction():
            added += store(conn, region, frame, "http", replace=False)
    return added
