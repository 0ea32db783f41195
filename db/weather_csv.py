# pyright: strict
"""One reader of weather CSVs, for the API's upload (api.services.inventory.weather) and the
worker's CSV source (activities.inventory.weather), which may not import each other.

A file has a header naming a day, the mean temperature and the precipitation (ours, or Open-
Meteo's CSV export: CSV_NAMES), is comma- or semicolon-separated, and may write decimals with a
comma. Every fault is reported with the file's line number (the header is line 1)."""

from __future__ import annotations

import csv
import io
import math
from datetime import date, timedelta
from typing import Final

CSV_NAMES: Final[dict[str, str]] = {
    "day": "day",
    "date": "day",
    "time": "day",
    "temperature": "temperature",
    "temperature_2m_mean": "temperature",
    "temperature_2m_mean (°c)": "temperature",
    "precipitation": "precipitation",
    "precipitation_sum": "precipitation",
    "precipitation_sum (mm)": "precipitation",
}
MAX_REASONS = 5  # the first faults a message lists


class WeatherCsvError(ValueError):
    """What is wrong with the file: every reason, the first MAX_REASONS in the message."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("; ".join(reasons[:MAX_REASONS]))


def parse_csv(content: str, *, contiguous: bool = True) -> dict[date, tuple[float, float]]:
    """(temperature, precipitation) per day of a weather CSV, or a WeatherCsvError listing the
    reasons with their line numbers. `contiguous`: the file must cover its first .. last day
    without gaps (an upload); a reader of a range checks that range itself."""
    sample = content[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(content), delimiter=delimiter)
    no_row: list[str] = []
    first_row = next(reader, no_row)
    header = [CSV_NAMES.get(h.strip().lower(), h.strip()) for h in first_row]
    missing = [c for c in ("day", "temperature", "precipitation") if c not in header]
    if missing:
        raise WeatherCsvError(
            [f"header lacks {', '.join(missing)}; expected day,temperature,precipitation"]
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
    if contiguous and found and not reasons:
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
        raise WeatherCsvError(reasons)
    return found
