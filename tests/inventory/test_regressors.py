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


def test_a_variants_own_promotions_are_one_more_column_in_one_call() -> None:
    """Scoped promotions as a per-variant regressor: one call gives each variant what a call
    with its own promotion days as a shared column gives (and none where its history has none)."""
    history, _, x = shop(33)
    rng = np.random.default_rng(33)
    days = x.index
    on = (np.arange(len(days)) % 17) < 3
    history = history.assign(
        promoted=rng.poisson(np.where(on[:DAYS], 45.0, 15.0)).astype(float),
        future_only=rng.poisson(12.0, DAYS).astype(float),
    )
    own = pd.DataFrame(0.0, index=days, columns=["promoted", "future_only"])
    own.loc[on, "promoted"] = 1.0
    own.iloc[DAYS + 3 : DAYS + 6, own.columns.get_loc("future_only")] = 1.0
    batch = forecast_many(
        history, HORIZON, holidays=None, regressors=x, variant_regressors={"promotion": own}
    )
    with_own = x.assign(promotion=own["promoted"])
    alone = forecast_many(history[["promoted"]], HORIZON, holidays=None, regressors=with_own)
    rest = forecast_many(history.drop(columns="promoted"), HORIZON, holidays=None, regressors=x)
    for variant, separate in [
        ("promoted", alone),
        *((c, rest) for c in history if c != "promoted"),
    ]:
        one = batch.forecasts.query("variant_id == @variant")["mean"].to_numpy()
        two = separate.forecasts.query("variant_id == @variant")["mean"].to_numpy()
        assert np.allclose(one, two, rtol=1e-9, atol=1e-9), variant
        assert batch.summary.loc[variant, "model"] == separate.summary.loc[variant, "model"]
    given = batch.summary["regressors"].to_dict()
    assert given["promoted"] == "temperature,precipitation,promotion"
    assert given["future_only"] == "temperature,precipitation"  # no promotion in its history
    assert batch.summary.loc["promoted", "regressor_gain"] > 0.1
