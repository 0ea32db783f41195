# pyright: strict
"""The column names a weather CSV may use, ours first, then Open-Meteo's CSV export: one
definition for the API's upload (api.services.inventory.weather) and the worker's CSV source
(activities.inventory.weather), which may not import each other."""

from __future__ import annotations

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
