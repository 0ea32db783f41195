"""The weather series per region in the database: imported from the sandbox's Open-Meteo-
compatible archive over HTTP (incremental, idempotent), uploaded as CSV (bad files are a 422
problem), and fed by the nightly run to the forecasts with the promotions calendar, so the
backtest of each variant keeps or rejects them."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import numpy as np
import pandas as pd
import psycopg
import pytest

from activities.inventory import planning as acts
from activities.inventory.sql import shop_promotions
from activities.inventory.weather import OpenMeteoWeather, weather_regressors
from activities.inventory.weather_import import missing_spans
from db.app_settings import set_setting
from db.engine import session_scope
from infra.sandbox.testing import RunningSandbox, running_sandbox
from tests.inventory.conftest import new_shop, plan_now, rows
from tests.inventory.seed import Simulation, copy_shop
from tests.support import assert_problem, login
from workflows.inventory import StartRunRequest

PRAGUE = (50.08, 14.42)
AT = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # the run's clock: as_of is 2026-05-31
AS_OF = date(2026, 5, 31)
DAYS = 730


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with running_sandbox() as sb:
        async with session_scope() as session:
            await set_setting(session, "analytics.inventory.weather_url", sb.url)
        yield sb
        async with session_scope() as session:
            await set_setting(session, "analytics.inventory.weather_url", "")


async def _region(shop_id: int, source: str = "http") -> str:
    region = f"Praha test {shop_id}"
    async with session_scope() as session:
        await set_setting(session, "analytics.inventory.weather_region", region, shop_id)
        await set_setting(session, "analytics.inventory.weather_source", source, shop_id)
    return region


def test_missing_spans_are_the_gaps_in_order() -> None:
    have = {date(2026, 1, d) for d in (2, 3, 6)}
    assert missing_spans(have, date(2026, 1, 1), date(2026, 1, 7)) == [
        (date(2026, 1, 1), date(2026, 1, 1)),
        (date(2026, 1, 4), date(2026, 1, 5)),
        (date(2026, 1, 7), date(2026, 1, 7)),
    ]
    assert missing_spans(have, date(2026, 1, 2), date(2026, 1, 3)) == []


async def test_import_from_the_sandbox_is_incremental_and_idempotent(
    sandbox: RunningSandbox, pg: psycopg.Connection
) -> None:
    shop_id = new_shop(pg, "Weather import shop")
    region = await _region(shop_id)
    run = await acts.start_inventory_run(
        StartRunRequest(shop_id, "manual", f"test:weather:{shop_id}", secrets.token_hex(6), AT)
    )
    assert run.settings.weather_region == region
    assert await acts.import_inventory_weather(run) == DAYS
    count = "SELECT count(*), min(day), max(day) FROM weather_daily WHERE region = %s"
    assert rows(pg, count, region) == [(DAYS, date(2024, 6, 1), AS_OF)]
    assert await acts.import_inventory_weather(run) == 0  # a rerun adds nothing
    assert rows(pg, count, region)[0][0] == DAYS

    # the stored values are the archive's, and a gap is filled by fetching only the gap
    truth = OpenMeteoWeather(sandbox.url).daily(*PRAGUE, date(2025, 1, 1), date(2025, 1, 10))
    pg.execute(
        "DELETE FROM weather_daily WHERE region = %s AND day BETWEEN %s AND %s",
        (region, date(2025, 1, 3), date(2025, 1, 7)),
    )
    pg.commit()
    assert await acts.import_inventory_weather(run) == 5
    stored = rows(
        pg,
        "SELECT temperature_mean, precipitation_sum FROM weather_daily WHERE region = %s "
        "AND day BETWEEN '2025-01-01' AND '2025-01-10' ORDER BY day",
        region,
    )
    assert [r[0] for r in stored] == truth["temperature"].tolist()
    assert [r[1] for r in stored] == truth["precipitation"].tolist()

    # a shop whose weather comes from CSV uploads imports nothing
    await _region(shop_id, "csv")
    assert await acts.import_inventory_weather(run) == 0


async def test_weather_csv_upload(
    api: httpx.AsyncClient, make_user: Any, make_shop: Any, pg: psycopg.Connection
) -> None:
    shop_id = make_shop().id
    region = await _region(shop_id, "csv")
    user, password = make_user(shops={shop_id: "manager"})
    await login(api, user.email, password)
    url = f"/api/shops/{shop_id}/weather/csv"
    good = "date,temperature_2m_mean,precipitation_sum\n2026-01-01,-2.5,0\n2026-01-02,1.5,3.2\n"
    answer = await api.post(url, content=good, headers={"content-type": "text/csv"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "region": region,
        "first_day": "2026-01-01",
        "last_day": "2026-01-02",
        "days": 2,
    }
    corrected = "day;temperature;precipitation\n2026-01-02;2,0;1,0\n2026-01-03;0;0\n"
    assert (await api.post(url, content=corrected)).json()["days"] == 2
    listed = (
        await api.get(
            f"/api/shops/{shop_id}/weather", params={"since": "2026-01-01", "until": "2026-01-31"}
        )
    ).json()
    assert [(d["day"], d["temperature_mean"], d["source"]) for d in listed] == [
        ("2026-01-01", -2.5, "csv"),
        ("2026-01-02", 2.0, "csv"),
        ("2026-01-03", 0.0, "csv"),
    ]
    bad = {
        "day,temperature\n2026-01-01,1\n": "lacks precipitation",
        "day,temperature,precipitation\n2026-01-01,warm,0\n": "line 2",
        "day,temperature,precipitation\n2026-01-01,1,0\n2026-01-01,2,0\n": "twice",
        "day,temperature,precipitation\n2026-01-01,1,0\n2026-01-04,2,0\n": "2 days of",
        "day,temperature,precipitation\n2026-01-01,1,-3\n": "out of range",
        "day,temperature,precipitation\n": "no rows",
        "": "empty",
    }
    for text, reason in bad.items():
        response = await api.post(url, content=text)
        assert_problem(response, 422)
        assert reason in response.json()["detail"], (text, response.json())
    assert_problem(await api.post(url, content=b"\xff\xfe\x00bad"), 422)
    assert rows(pg, "SELECT count(*) FROM weather_daily WHERE region = %s", region)[0][0] == 3


def _weather_shop(pg: psycopg.Connection, sandbox: RunningSandbox) -> tuple[int, Simulation]:
    """Three variants over two years: lemonade sells with the temperature, a stapler ignores
    the weather, and a grill (category Grily) sells three times as much in the category's
    promotions."""
    days = pd.period_range(end=pd.Period(AS_OF, "D"), periods=DAYS, freq="D")
    first = days[0].to_timestamp().date()
    weather = OpenMeteoWeather(sandbox.url).daily(*PRAGUE, first, AS_OF)
    rng = np.random.default_rng(7)
    on_promotion = (np.arange(DAYS) % 21) < 4
    demand = np.column_stack(
        [
            rng.poisson(np.maximum(12 + 2.0 * weather["temperature"].to_numpy(), 1)),
            rng.poisson(20, DAYS),
            rng.poisson(np.where(on_promotion, 24, 8)),
        ]
    ).astype(float)
    sim = Simulation(
        days=days,
        codes=["LEMONADE", "STAPLER", "GRILL"],
        demand=demand,
        sales=demand,
        stock=np.full_like(demand, 10_000.0),
        price=np.array([10.0, 30.0, 900.0]),
    )
    shop_id = new_shop(pg, "Weather-driven shop")
    copy_shop(pg, shop_id, sim, archive_days=120)
    guid = uuid.uuid5(uuid.NAMESPACE_URL, f"{shop_id}/GRILL")
    pg.execute(
        "INSERT INTO products (shop_id, guid, name, default_category) VALUES (%s, %s, 'Gril', "
        "'Grily')",
        (shop_id, guid),
    )
    starts = [first + timedelta(days=i) for i in range(0, DAYS + 28, 21)]
    with pg.cursor() as cur:
        cur.executemany(
            "INSERT INTO promotions (shop_id, name, starts_on, ends_on, category) "
            "VALUES (%s, 'Grilovací víkend', %s, %s + 3, 'Grily')",
            [(shop_id, s, s) for s in starts],
        )
    pg.commit()
    return shop_id, sim


async def test_the_nightly_run_keeps_the_weather_where_it_helps(
    sandbox: RunningSandbox, pg: psycopg.Connection, api: httpx.AsyncClient, make_user: Any
) -> None:
    shop_id, _ = _weather_shop(pg, sandbox)
    region = await _region(shop_id)
    await plan_now(shop_id, AT)
    assert rows(pg, "SELECT count(*) FROM weather_daily WHERE region = %s", region) == [(DAYS,)]
    found = {
        code: (used, gain, without, with_x)
        for code, used, gain, without, with_x in rows(
            pg,
            "SELECT variant_code, regressors_used, regressor_gain, mase_without_regressors, "
            "mase_with_regressors FROM inventory_variant_metrics WHERE shop_id = %s",
            shop_id,
        )
    }
    used, gain, without, with_x = found["LEMONADE"]
    assert used is not None and "weather" in used.split(",")
    assert gain > 0.1 and with_x < without
    used, gain, _, _ = found["STAPLER"]
    assert used is None and gain < 0.02  # the weather is rejected for it
    used, gain, _, _ = found["GRILL"]  # its category's promotions are its regressor
    assert used is not None and "promotion" in used.split(",") and gain > 0.1

    user, password = make_user(shops={shop_id: "viewer"})  # the accuracy API names them too
    await login(api, user.email, password)
    items = (await api.get(f"/api/shops/{shop_id}/inventory/accuracy")).json()["items"]
    shown = {i["variant_code"]: i["regressors_used"] for i in items}
    assert shown == {"GRILL": "weather,promotion", "LEMONADE": "weather", "STAPLER": None}


def test_the_horizon_takes_the_climatology_and_a_history_gap_no_weather() -> None:
    days = pd.period_range("2024-01-01", "2025-12-31", freq="D")
    stored = pd.DataFrame(
        {
            "temperature": np.where(days.month == 1, -5.0, 15.0),
            "precipitation": np.ones(len(days)),
        },
        index=days,
    )
    history = days[days <= pd.Period("2025-12-20", "D")]
    x = weather_regressors(stored, history, 28)
    assert x is not None and list(x.columns) == ["weather.temperature", "weather.precipitation"]
    assert len(x) == len(history) + 28
    assert x.loc["2025-12-21", "weather.temperature"] == 15.0  # stored: the archive's own
    # 2026-01-10: the mean of 7-13 January over the stored years, all -5
    assert x.loc["2026-01-10", "weather.temperature"] == -5.0
    assert x.loc["2026-01-10", "weather.precipitation"] == 1.0
    gap = stored[stored.index != pd.Period("2025-03-03", "D")]
    assert weather_regressors(gap, history, 28) is None
    assert weather_regressors(None, history, 28) is None


def test_chunk_promotions_are_shop_wide_plus_the_variants_own(pg: psycopg.Connection) -> None:
    shop_id = new_shop(pg, "Scoped promotions shop")
    for code, category in (("A", "Grily"), ("B", None), ("C", "Grily")):
        guid = uuid.uuid5(uuid.NAMESPACE_URL, f"{shop_id}/{code}")
        pg.execute(
            "INSERT INTO variants (shop_id, code, product_guid) VALUES (%s, %s, %s)",
            (shop_id, code, guid),
        )
        pg.execute(
            "INSERT INTO products (shop_id, guid, name, default_category) VALUES (%s, %s, %s, %s)",
            (shop_id, guid, code, category),
        )
    promotions = [
        ("Black week", date(2026, 11, 23), None, None),
        ("B days", date(2026, 5, 1), "B", None),
        ("Grill weekend", date(2026, 6, 5), None, "Grily"),
        ("Over", date(2025, 1, 1), "A", None),  # ended before the history: left out
    ]
    with pg.cursor() as cur:
        cur.executemany(
            "INSERT INTO promotions (shop_id, name, starts_on, ends_on, variant_code, category) "
            "VALUES (%s, %s, %s, %s + 2, %s, %s)",
            [(shop_id, name, start, start, code, cat) for name, start, code, cat in promotions],
        )
    pg.commit()
    found = shop_promotions(pg, shop_id, date(2026, 1, 1), ["A", "B"])
    pg.commit()
    got = sorted(
        (code or "*", str(start)) for code, start, _ in found.itertuples(index=False, name=None)
    )
    assert got == [("*", "2026-11-23"), ("A", "2026-06-05"), ("B", "2026-05-01")]
