"""Weather per region from the sandbox's Open-Meteo-compatible archive over HTTP and from CSV,
behind one interface, and fed to the forecasts as regressors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from activities.inventory.analytics import forecast_many
from activities.inventory.weather import CsvWeather, OpenMeteoWeather, WeatherError, WeatherSource
from infra.sandbox.testing import RunningSandbox, running_sandbox

PRAGUE = (50.08, 14.42)
START, END = date(2024, 1, 1), date(2025, 6, 30)


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with running_sandbox() as sb:
        yield sb


async def test_the_sandbox_archive_serves_deterministic_weather_over_http(
    sandbox: RunningSandbox,
) -> None:
    source: WeatherSource = OpenMeteoWeather(sandbox.url)
    first = source.daily(*PRAGUE, START, END)
    again = source.daily(*PRAGUE, START, END)
    assert list(first.columns) == ["temperature", "precipitation"]
    assert first.index[0] == pd.Period(START, "D") and len(first) == (END - START).days + 1
    pd.testing.assert_frame_equal(first, again)
    summer = first.loc["2024-07-01":"2024-08-31", "temperature"].mean()
    winter = first.loc["2024-01-01":"2024-02-28", "temperature"].mean()
    assert summer > winter + 12
    assert (first["precipitation"] >= 0).all() and (first["precipitation"] == 0).mean() > 0.4
    brno = source.daily(49.2, 16.6, START, END)
    assert not brno["temperature"].equals(first["temperature"])  # one series per region


async def test_the_archive_refusing_a_request_is_a_weather_error(sandbox: RunningSandbox) -> None:
    with pytest.raises(WeatherError, match="refused \\(400\\)"):
        OpenMeteoWeather(sandbox.url).daily(95.0, 14.0, START, END)
    with pytest.raises(WeatherError, match="did not answer"):
        OpenMeteoWeather("http://127.0.0.1:9", timeout_s=2).daily(*PRAGUE, START, END)


def test_csv_weather_from_text_and_file(tmp_path: Path) -> None:
    text = "date,temperature_2m_mean,precipitation_sum\n2024-01-01,-2.5,0\n2024-01-02,1.0,3.2\n"
    from_text = CsvWeather(text).daily(*PRAGUE, date(2024, 1, 1), date(2024, 1, 2))
    path = tmp_path / "prague.csv"
    path.write_text("day,temperature,precipitation\n2024-01-02,1.0,3.2\n2024-01-01,-2.5,0\n")
    from_file = CsvWeather(path).daily(*PRAGUE, date(2024, 1, 1), date(2024, 1, 2))
    pd.testing.assert_frame_equal(from_text, from_file)
    assert from_text["temperature"].tolist() == [-2.5, 1.0]


def test_csv_weather_reads_what_the_upload_reads() -> None:
    """One parser (db.weather_csv) for the worker and the API: semicolons and decimal commas,
    as a Czech spreadsheet saves them."""
    text = "Date;Temperature;Precipitation\n2024-01-01;-2,5;0\n\n2024-01-02;1,0;3,2\n"
    frame = CsvWeather(text).daily(*PRAGUE, date(2024, 1, 1), date(2024, 1, 2))
    assert frame["temperature"].tolist() == [-2.5, 1.0]
    assert frame["precipitation"].tolist() == [0.0, 3.2]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("day,temperature\n2024-01-01,1\n", "header lacks precipitation"),
        ("day,temperature,precipitation\n2024-01-01,warm,0\n", "line 2: a day .* two numbers"),
        ("day,temperature,precipitation\n2024-01-01,1,0\n", "no weather for 1 days"),
        ("day,temperature,precipitation\n2024-01-01,1,0\n2024-01-01,2,0\n", "twice"),
        ("day,temperature,precipitation\n2024-01-01,1,-3\n2024-01-02,1,0\n", "line 2: .*range"),
    ],
)
def test_bad_csv_weather_says_what_to_fix(text: str, message: str) -> None:
    with pytest.raises(WeatherError, match=message):
        CsvWeather(text).daily(*PRAGUE, date(2024, 1, 1), date(2024, 1, 2))


async def test_sandbox_weather_drives_a_forecast_where_it_helps(sandbox: RunningSandbox) -> None:
    """A variant whose demand follows the sandbox's temperature gets the weather as a
    regressor; one that ignores the weather does not."""
    weather = OpenMeteoWeather(sandbox.url).daily(*PRAGUE, START, END)
    horizon = 28
    rng = np.random.default_rng(41)
    rate = np.maximum(15 + 2.0 * weather["temperature"].to_numpy(), 1)
    demand = pd.DataFrame(
        {"lemonade": rng.poisson(rate), "stapler": rng.poisson(30, len(weather))},
        index=weather.index,
        dtype=float,
    )
    batch = forecast_many(demand.iloc[:-horizon], horizon, holidays=None, regressors=weather)
    used = batch.summary["regressors_used"]
    assert used["lemonade"] and not used["stapler"]
    assert batch.summary["regressor_gain"].astype(float)["lemonade"] > 0.1
