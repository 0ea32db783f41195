"""External regressors (weather, promotions) are used per variant only where the backtest shows
they lower the error, and the gain is reported."""

from __future__ import annotations

import numpy as np
import pandas as pd

from activities.inventory.analytics import forecast_many

DAYS, HORIZON = 500, 28


def weather(seed: int) -> pd.DataFrame:
    """Daily temperature (a yearly cycle plus day-to-day weather) and rain, history + horizon."""
    rng = np.random.default_rng(seed)
    t = np.arange(DAYS + HORIZON)
    temperature = 10 - 10 * np.cos(2 * np.pi * (t - 20) / 365) + rng.normal(0, 4, len(t))
    rain = rng.gamma(0.6, 3.0, len(t)) * (rng.random(len(t)) < 0.4)
    periods = pd.period_range("2024-01-01", periods=DAYS + HORIZON, freq="D")
    return pd.DataFrame({"temperature": temperature, "precipitation": rain}, index=periods)


def shop(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """An ice-cream variant driven by temperature and rain, and an umbrella-neutral variant
    whose demand ignores the weather: history, holdout and the weather."""
    rng = np.random.default_rng(seed)
    x = weather(seed)
    weekday = 1 + 0.3 * np.sin(2 * np.pi * np.arange(DAYS + HORIZON) / 7)
    ice = np.maximum(
        20 + 2.5 * x["temperature"].to_numpy() - 1.5 * x["precipitation"].to_numpy(), 1
    )
    demand = pd.DataFrame(
        {
            "ice_cream": rng.poisson(ice * weekday),
            "notebook": rng.poisson(40 * weekday),
        },
        index=x.index,
        dtype=float,
    )
    return demand.iloc[:DAYS], demand.iloc[DAYS:], x


def holdout_mae(batch_forecasts: pd.DataFrame, holdout: pd.DataFrame, variant: str) -> float:
    mine = batch_forecasts[batch_forecasts["variant_id"] == variant]["mean"].to_numpy()
    return float(np.abs(mine - holdout[variant].to_numpy()).mean())


def test_the_weather_is_used_where_it_lowers_the_error_and_rejected_where_not() -> None:
    history, holdout, x = shop(31)
    plain = forecast_many(history, HORIZON, holidays=None)
    with_weather = forecast_many(history, HORIZON, holidays=None, regressors=x)
    summary = with_weather.summary

    ice = summary.loc["ice_cream"]
    assert ice["regressors_used"]
    assert ice["mase_with_regressors"] < 0.8 * ice["mase_without_regressors"]
    assert ice["regressor_gain"] > 0.2
    assert holdout_mae(with_weather.forecasts, holdout, "ice_cream") < 0.8 * holdout_mae(
        plain.forecasts, holdout, "ice_cream"
    )

    notebook = summary.loc["notebook"]
    assert not notebook["regressors_used"]
    assert notebook["regressor_gain"] < 0.02
    assert np.allclose(  # rejected: the forecast is the one without regressors
        with_weather.forecasts.query("variant_id == 'notebook'")["mean"].to_numpy(),
        plain.forecasts.query("variant_id == 'notebook'")["mean"].to_numpy(),
    )


def test_without_regressors_the_gain_is_unknown() -> None:
    history, _, _ = shop(32)
    summary = forecast_many(history, HORIZON, holidays=None).summary
    assert summary["regressor_gain"].isna().all()
    assert not summary["regressors_used"].any()
