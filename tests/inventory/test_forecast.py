"""Forecasts: beating seasonal naive, censoring, interval coverage, calendar effects, regressors.

Fitted results are shared per module: statsforecast fits dominate this file's runtime.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from activities.inventory.analytics import (
    BatchForecast,
    demand_per_period,
    forecast_accuracy,
    forecast_demand,
    forecast_many,
    mase,
    shopping_calendar,
)

HORIZON = 28
Seasonal = tuple[pd.Series, pd.Series, pd.DataFrame]  # history, holdout, forecast
Assortment = tuple[pd.DataFrame, pd.DataFrame, BatchForecast]  # history, holdout, forecasts


def weekly_poisson(
    n_days: int, level: float, amplitude: float, seed: int, start: str = "2022-09-01"
) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(n_days)
    rate = level * (1 + amplitude * np.sin(2 * np.pi * t / 7))
    index = pd.period_range(start, periods=n_days, freq="D")
    return pd.Series(rng.poisson(rate).astype(float), index=index, name="seasonal")


@pytest.fixture(scope="module")
def seasonal() -> Seasonal:
    series = weekly_poisson(730 + HORIZON, level=30, amplitude=0.5, seed=1)
    history, holdout = series.iloc[:-HORIZON], series.iloc[-HORIZON:]
    return history, holdout, forecast_demand(history, HORIZON)


@pytest.fixture(scope="module")
def assortment() -> Assortment:
    """40 weekly-seasonal Poisson variants of different sizes, two years plus a held-out month."""
    rng = np.random.default_rng(8)
    n, days = 40, 730 + HORIZON
    t = np.arange(days)[:, None]
    rate = rng.uniform(5, 60, n) * (
        1 + rng.uniform(0, 0.5, n) * np.sin(2 * np.pi * t / 7 + rng.uniform(0, 6, n))
    )
    frame = pd.DataFrame(
        rng.poisson(rate).astype(float),
        index=pd.period_range("2022-09-01", periods=days, freq="D"),
        columns=[f"V{i}" for i in range(n)],
    )
    history, holdout = frame.iloc[:-HORIZON], frame.iloc[-HORIZON:]
    return history, holdout, forecast_many(history, HORIZON)


def test_forecast_beats_seasonal_naive_on_a_seasonal_series(seasonal: Seasonal) -> None:
    history, holdout, forecast = seasonal
    naive = np.tile(history.iloc[-7:].to_numpy(), 4)
    model_mase = mase(holdout, forecast["mean"], history, season_length=7)
    naive_mase = mase(holdout, naive, history, season_length=7)
    assert model_mase < 0.85 * naive_mase
    summary = forecast.attrs["summary"]
    assert summary["season_length"] == 7
    assert summary["pattern"] == "smooth"
    assert summary["model"] in {"AutoETS", "SeasonalES", "MSTL"}
    assert summary["mase"] < summary["naive_mase"]  # the backtest agrees


def test_forecast_continues_the_index_with_mean_inside_the_interval(seasonal: Seasonal) -> None:
    _, holdout, forecast = seasonal
    assert list(forecast.columns) == ["mean", "lo", "hi"]
    assert forecast.index.equals(holdout.index)
    assert (forecast["lo"] <= forecast["mean"]).all()
    assert (forecast["mean"] <= forecast["hi"]).all()
    assert (forecast["lo"] >= 0).all()
    # the weekly shape carries into the forecast
    assert forecast["mean"].max() > 1.5 * forecast["mean"].min()


def test_datetime_index_in_gives_datetime_index_out() -> None:
    series = weekly_poisson(200, level=10, amplitude=0.3, seed=2)
    series.index = series.index.to_timestamp()
    forecast = forecast_demand(series, 10)
    assert isinstance(forecast.index, pd.DatetimeIndex)
    assert forecast.index[0] == series.index[-1] + pd.Timedelta(days=1)
    assert len(forecast) == 10


def test_stock_out_days_do_not_drag_the_forecast_down() -> None:
    rng = np.random.default_rng(5)
    series = pd.Series(
        rng.poisson(20, 400).astype(float),
        index=pd.period_range("2023-01-01", periods=400, freq="D"),
    )
    censored = series.copy()
    out = rng.random(400) < 0.25  # a quarter of the days out of stock
    out[-12:], out[0] = True, False  # the last twelve; a leading NaN would mean "not listed"
    censored[out] = np.nan
    as_zero = censored.fillna(0.0)  # what a pipeline that ignores stock would see
    fair = forecast_demand(censored, 14, holidays=None)
    dragged = forecast_demand(as_zero, 14, holidays=None)
    assert fair["mean"].mean() == pytest.approx(20, rel=0.1)
    assert dragged["mean"].mean() < 0.85 * fair["mean"].mean()
    assert fair.attrs["summary"]["n_censored"] == out.sum()
    assert fair.attrs["summary"]["pattern"] == "smooth"  # as zeros it would look intermittent


def test_intervals_cover_about_80_percent_of_held_out_demand(assortment: Assortment) -> None:
    _, holdout, batch = assortment
    actual = holdout.stack(future_stack=True).rename("actual").rename_axis(["period", "variant_id"])
    joined = batch.forecasts.join(actual, on=["period", "variant_id"])
    coverage = ((joined["actual"] >= joined["lo"]) & (joined["actual"] <= joined["hi"])).mean()
    assert 0.72 <= coverage <= 0.88


def test_batch_accuracy_against_seasonal_naive(assortment: Assortment) -> None:
    history, holdout, batch = assortment
    accuracy = forecast_accuracy(holdout, batch.forecasts, history)
    assert len(accuracy) == history.shape[1]
    assert accuracy["mase"].mean() < accuracy["naive_mase"].mean()
    assert (batch.summary["relative_mae"] < 1).mean() > 0.8  # backtest per variant
    rates = demand_per_period(batch)
    assert rates.index.tolist() == history.columns.tolist()
    assert (rates["sd_demand"] > 0).all()
    assert np.allclose(rates["mean_demand"], history.iloc[-56:].mean(), rtol=0.2)


def test_calendar_effects_lift_black_friday_and_pre_christmas() -> None:
    periods = pd.period_range("2022-11-01", "2024-11-15", freq="D")
    calendar = shopping_calendar(periods)
    rate = (
        30
        * (1 + 2.0 * calendar["black_friday"])
        * (1 + 1.0 * calendar["pre_christmas"])
        * (1 - 0.6 * calendar["christmas"])
    )
    series = pd.Series(np.random.default_rng(6).poisson(rate).astype(float), index=periods)
    forecast = forecast_demand(series, 45)["mean"]
    normal = forecast["2024-11-18":"2024-11-27"].mean()
    assert forecast["2024-11-29"] == pytest.approx(3 * normal, rel=0.2)  # Black Friday
    assert forecast["2024-12-05":"2024-12-20"].mean() == pytest.approx(2 * normal, rel=0.2)
    assert forecast["2024-12-24":"2024-12-30"].mean() < 0.6 * normal
    flat = forecast_demand(series, 45, holidays=None)["mean"]
    assert flat["2024-11-29"] < 1.3 * normal


def test_external_regressor_reaches_the_model() -> None:
    rng = np.random.default_rng(9)
    n = 300
    periods = pd.period_range("2024-01-01", periods=n + 14, freq="D")
    weather = pd.DataFrame({"temperature": rng.normal(15, 6, n + 14)}, index=periods)
    demand = pd.Series(
        np.maximum(40 + 3 * weather["temperature"].to_numpy()[:n] + rng.normal(0, 2, n), 0),
        index=periods[:n],
    )
    forecast = forecast_demand(demand, 14, holidays=None, regressors=weather)
    future = weather["temperature"].iloc[n:].to_numpy()
    assert forecast.attrs["summary"]["regressors_used"]
    assert np.corrcoef(forecast["mean"], future)[0, 1] > 0.9
    with pytest.raises(ValueError, match="must cover every history period and the 14 forecast"):
        forecast_demand(demand, 14, regressors=weather.iloc[:-1])


def test_intermittent_series_get_an_intermittent_model_at_the_right_rate() -> None:
    rng = np.random.default_rng(10)
    values = (rng.random(600) < 0.15) * (1 + rng.poisson(2, 600))
    series = pd.Series(
        values.astype(float), index=pd.period_range("2023-01-01", periods=600, freq="D")
    )
    forecast = forecast_demand(series, 21, holidays=None)
    summary = forecast.attrs["summary"]
    assert summary["pattern"] == "intermittent"
    assert summary["model"] in {"TSB", "CrostonSBA", "ADIDA", "IMAPA"}
    assert forecast["mean"].mean() == pytest.approx(0.15 * 3, rel=0.35)
    assert (forecast["lo"] == 0).all() and (forecast["hi"] > forecast["mean"]).all()


def test_batch_handles_unlisted_short_and_weekly_data() -> None:
    periods = pd.period_range("2024-01-01", periods=120, freq="D")
    frame = pd.DataFrame(
        {
            "never_sold": np.nan,
            "new": [np.nan] * 100 + [3.0] * 20,
            "steady": np.random.default_rng(11).poisson(8, 120).astype(float),
        },
        index=periods,
    )
    batch = forecast_many(frame, 7, holidays=None)
    models = batch.summary["model"]
    assert models["never_sold"] == "insufficient_history"
    assert models["new"] == "SES"
    assert set(batch.forecasts["variant_id"]) == {"new", "steady"}
    assert batch.forecasts.loc[batch.forecasts["variant_id"] == "new", "mean"].iloc[0] == (
        pytest.approx(3.0, rel=0.05)
    )
    weekly = frame[["steady"]].groupby(periods.asfreq("W")).sum().iloc[1:]
    week_batch = forecast_many(weekly, 4)
    assert week_batch.forecasts["period"].iloc[0] == weekly.index[-1] + 1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: forecast_demand(s.iloc[:0], 7), "empty"),
        (lambda s: forecast_demand(s.drop(s.index[3]), 7), "irregular PeriodIndex"),
        (lambda s: forecast_demand(s.where(s.index != s.index[5], -1.0), 7), "negative demand"),
        (lambda s: forecast_demand(s, 0), "horizon must be a positive"),
        (lambda s: forecast_demand(s * np.nan, 7), "no observed period"),
        (lambda s: forecast_demand(s, 7, holidays="XX"), "not a country code"),
        (lambda s: forecast_demand(s.to_frame(), 7), "must be a pandas Series"),
        (lambda s: forecast_demand(s, 7, season_length=0), "season_length"),
    ],
)
def test_bad_inputs_get_clear_errors(call: Callable[[pd.Series], object], message: str) -> None:
    series = weekly_poisson(60, level=5, amplitude=0.0, seed=12)
    with pytest.raises(ValueError, match=message):
        call(series)


def test_mase_closed_form() -> None:
    history = [1.0, 3.0, 2.0, 4.0]  # naive in-sample errors 2, 1, 2 → scale 5/3
    assert mase([3.0, 5.0], [4.0, 4.0], history) == pytest.approx(1.0 / (5 / 3))
    assert mase([3.0, np.nan], [4.0, 0.0], history) == pytest.approx(0.6)
    with pytest.raises(ValueError, match="scale is zero"):
        mase([1.0], [1.0], [2.0, 2.0, 2.0])


def test_strongly_seasonal_quarterly_series_choose_a_model_as_good_as_autoets() -> None:
    """Quarterly series keep AutoETS among the candidates: the chosen model's held-out error is
    no worse than AutoETS alone, summed over a panel of strongly seasonal series."""
    from statsforecast.models import AutoETS

    rng = np.random.default_rng(21)
    n, quarters, horizon = 12, 44, 4
    t = np.arange(quarters)[:, None]
    pattern = np.array([0.6, 1.0, 1.5, 0.9])[t % 4]
    rate = rng.uniform(80, 300, n) * pattern * (1 + 0.01 * t)
    frame = pd.DataFrame(
        rng.normal(rate, 0.05 * rate),
        index=pd.period_range("2014Q1", periods=quarters, freq="Q"),
        columns=[f"Q{i}" for i in range(n)],
    )
    history, holdout = frame.iloc[:-horizon], frame.iloc[-horizon:]
    batch = forecast_many(history, horizon, holidays=None)
    chosen = batch.forecasts.pivot(index="period", columns="variant_id", values="mean")
    chosen_mae = (chosen[history.columns].to_numpy() - holdout.to_numpy()).__abs__().mean()
    ets = np.column_stack(
        [
            AutoETS(season_length=4).forecast(history[c].to_numpy(), horizon)["mean"]
            for c in history.columns
        ]
    )
    ets_mae = np.abs(ets - holdout.to_numpy()).mean()
    assert (batch.summary["season_length"] == 4).all()
    assert chosen_mae <= 1.05 * ets_mae


def test_a_dying_intermittent_series_is_forecast_without_bias() -> None:
    """Demand occurs ever more rarely (its chance halves over two years): the forecast follows
    it down, within 5 % of the true expected demand of the next four weeks (over 300 such
    series, so the bias is measured, not the noise of one)."""
    rng = np.random.default_rng(22)
    n, days, horizon = 300, 730, 28
    t = np.arange(days + horizon)[:, None]
    chance = 0.3 * 0.5 ** (t / days)
    demand = (rng.random((days + horizon, n)) < chance) * (
        1 + rng.poisson(1.0, (days + horizon, n))
    )
    frame = pd.DataFrame(
        demand[:days].astype(float),
        index=pd.period_range("2023-01-01", periods=days, freq="D"),
        columns=[f"D{i}" for i in range(n)],
    )
    batch = forecast_many(frame, horizon, holidays=None)
    assert set(batch.summary["pattern"]) <= {"intermittent", "lumpy"}
    expected = float((chance[days:, 0] * 2.0).sum()) * n  # mean size 1 + 1
    bias = batch.forecasts["mean"].sum() / expected - 1
    assert abs(bias) < 0.05


def test_a_process_pool_gives_the_same_forecasts_as_one_process() -> None:
    rng = np.random.default_rng(23)
    n, days = 1000, 200
    frame = pd.DataFrame(
        rng.poisson(rng.uniform(0.2, 20, n), (days, n)).astype(float),
        index=pd.period_range("2024-01-01", periods=days, freq="D"),
        columns=[f"P{i}" for i in range(n)],
    )
    alone = forecast_many(frame, 14, holidays=None)
    pooled = forecast_many(frame, 14, holidays=None, n_jobs=2)
    pd.testing.assert_frame_equal(alone.forecasts, pooled.forecasts)
    pd.testing.assert_frame_equal(alone.summary, pooled.summary)
