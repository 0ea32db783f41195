"""Candidate models per demand family, their rolling-origin backtest and the final forecasts."""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import (
    ADIDA,
    IMAPA,
    MSTL,
    TSB,
    AutoARIMA,
    AutoETS,
    CrostonSBA,
    HistoricAverage,
    SeasonalExponentialSmoothingOptimized,
    SeasonalNaive,
)

from activities.inventory.preparation import Chunk
from activities.inventory.smoothing import (
    TSB_ALPHAS,
    TUNING_ORIGINS,
    es_paths,
    grid,
    intermittent_paths,
)

LEVEL = 80
QUANTILES = ((100 - LEVEL) / 200, 1 - (100 - LEVEL) / 200)
# AutoARIMA is 10–100× slower than ETS on long daily series; it joins the candidates only where
# it is cheap or where it is needed (external regressors).
ARIMA_MAX_LENGTH = 260
# On short or coarse series a dozen backtest periods pick among six candidates by chance;
# AutoETS stays unless another candidate's squared error is this much lower.
DEFAULT_MODEL = "AutoETS"
SWITCH_MARGIN = 0.7
# A regressor is used for a series only where it lowers the backtest MAE by this share.
MIN_REGRESSOR_GAIN = 0.02
RECENT = 7  # days before an origin whose regressor mean the model's level has absorbed
RIDGE = 1e-6  # keeps the regression solvable where a regressor is constant
MIN_INIT = 28  # periods the vectorised models start from before their first tuning origin
NATIVE_INTERVALS = {"AutoETS", "MSTL", "MSTL_ARIMA", "AutoARIMA", "SeasonalNaive", "SES"}
# Estimated once at the first backtest origin and rolled forward from there (see _smooth_group).
FIT_ONCE = {"AutoETS", "AutoARIMA", "MSTL_ARIMA"}
SELECTABLE = {
    "smooth": (
        "AutoETS",
        "SES",
        "SeasonalES",
        "MSTL",
        "MSTL_ARIMA",
        "AutoARIMA",
        "SeasonalNaive",
    ),
    "intermittent": ("TSB", "CrostonSBA", "ADIDA", "IMAPA", "MovingMean", "Combined"),
}


class Group(NamedTuple):
    family: str  # "smooth", "intermittent" or "short"
    season: tuple[int, ...]
    m_naive: int


class Settings(NamedTuple):
    horizon: int
    n_windows: int
    bt_horizon: int
    # history + horizon periods × regressors, or periods × series × regressors where the
    # series of a group have values of their own (a promotion scoped to a variant)
    regressors: np.ndarray | None
    n_hist: int
    n_jobs: int
    vectorised: bool  # daily history without regressors: inventory.smoothing, not statsforecast


class Scores(NamedTuple):
    """Backtest record per series: the chosen model and how it and seasonal naive did."""

    chosen: np.ndarray  # model names
    choice: np.ndarray  # index into the selectable candidates, in candidate order
    mae: np.ndarray
    naive_mae: np.ndarray
    rmse: np.ndarray
    quantiles: np.ndarray  # series × 2: 10 % and 90 % of the chosen model's errors, demand scale


class Outcome(NamedTuple):
    """Per series of a group: the backtest record and the chosen model's forecast."""

    scores: Scores
    mean: np.ndarray  # series × horizon, effect-free scale
    lo: np.ndarray  # the model's own interval, NaN where it has none
    hi: np.ndarray
    # backtest MAE (effect-free) of the chosen model without and with the external regressors;
    # None where no regressors were given or the path does not weigh them
    regressor_mae: tuple[np.ndarray, np.ndarray] | None = None


def _candidates(group: Group, length: int, with_regressors: bool) -> list[Any]:
    naive = SeasonalNaive(season_length=group.m_naive, alias="SeasonalNaive")
    if group.family == "intermittent":
        return [TSB(alpha_d=0.1, alpha_p=0.1), CrostonSBA(), ADIDA(), IMAPA(), naive]
    season = group.season
    m = season[0] if season else 1
    periods: int | list[int] = list(season) if len(season) > 1 else m
    models: list[Any] = [
        AutoETS(season_length=m, model="ZZZ" if season else "ZZN", alias="AutoETS")
    ]
    if season:
        models += [
            SeasonalExponentialSmoothingOptimized(season_length=m, alias="SeasonalES"),
            MSTL(season_length=periods, trend_forecaster=AutoETS(model="ANN"), alias="MSTL"),
        ]
    if with_regressors:
        arima = AutoARIMA(season_length=1, alias="AutoARIMA")
        models.append(
            MSTL(season_length=periods, trend_forecaster=arima, alias="MSTL_ARIMA")  # pyright: ignore[reportArgumentType]
            if season
            else arima
        )
    elif length <= ARIMA_MAX_LENGTH:
        models.append(AutoARIMA(season_length=m, alias="AutoARIMA"))
    return [*models, naive]


def _long_frame(
    chunk: Chunk, cols: np.ndarray, family: str, regressors: np.ndarray | None
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """statsforecast input (integer time) plus each row's period position and column."""
    rows = chunk.listed[:, cols] & (chunk.observed[:, cols] if family == "intermittent" else True)
    t_idx, c_idx = np.nonzero(rows.T)  # column-major: series by series
    positions, columns = c_idx, cols[t_idx]
    lengths = rows.sum(axis=0)
    ds = np.arange(len(positions)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    data = {"unique_id": t_idx, "ds": ds, "y": chunk.prepared[positions, columns]}
    if regressors is not None and family == "smooth":
        for k in range(regressors.shape[-1]):  # shared (periods × r) or per series (× k × r)
            data[f"x{k}"] = (
                regressors[positions, t_idx, k]
                if regressors.ndim == 3
                else regressors[positions, k]
            )
    return pd.DataFrame(data), positions, columns


def _score(
    chunk: Chunk,
    series: np.ndarray,
    rows: tuple[np.ndarray, np.ndarray],
    predictions: dict[str, np.ndarray],
    family: str,
    k: int,
    prior: dict[str, np.ndarray] | None = None,
) -> Scores:
    """Choose per series the selectable model with the lowest squared error on observed periods.

    `series` numbers the backtest rows by series (0..k-1), `rows` gives their (period, column)
    in the chunk. Errors are taken in the demand scale (forecast × calendar effect against raw
    demand), so censored periods (NaN) are out of the loss.
    """
    actual = chunk.raw[rows]
    ok = ~np.isnan(actual)
    errors = {name: actual - pred * chunk.effect_hist[rows] for name, pred in predictions.items()}
    count = np.bincount(series[ok], minlength=k)
    n = np.maximum(count, 1)
    sse = {name: np.bincount(series[ok], e[ok] ** 2, minlength=k) for name, e in errors.items()}
    sae = {name: np.bincount(series[ok], np.abs(e[ok]), minlength=k) for name, e in errors.items()}
    selectable = [name for name in predictions if name in SELECTABLE[family]]
    earlier = prior or {}  # squared errors at earlier origins, where the caller has them
    loss = np.vstack([sse[name] + earlier.get(name, 0.0) for name in selectable])
    choice = np.argmin(loss, axis=0)
    if DEFAULT_MODEL in selectable:  # another model must beat AutoETS clearly to replace it
        default = selectable.index(DEFAULT_MODEL)
        clear = loss[choice, np.arange(k)] < SWITCH_MARGIN * loss[default]
        choice = np.where(clear, choice, default)
    chosen_errors = np.choose(choice[series], [errors[name] for name in selectable])
    quantiles = (
        pd.DataFrame({"series": series[ok], "error": chosen_errors[ok]})
        .groupby("series")["error"]
        .quantile(QUANTILES)  # pyright: ignore[reportArgumentType]
        .unstack()
        .reindex(range(k))
        .to_numpy()
    )
    seen = count > 0
    return Scores(
        chosen=np.array(selectable, dtype=object)[choice],
        choice=choice,
        mae=np.where(seen, np.choose(choice, [sae[name] for name in selectable]) / n, np.nan),
        naive_mae=np.where(seen, sae["SeasonalNaive"] / n, np.nan),
        rmse=np.where(
            seen, np.sqrt(np.choose(choice, [sse[name] for name in selectable]) / n), np.nan
        ),
        quantiles=quantiles,
    )


def _run(
    model: Any,
    roll: bool,
    y: np.ndarray,
    h: int,
    x: np.ndarray | None,
    x_future: np.ndarray | None,
    native: bool,
    fallback: Any,
) -> dict[str, np.ndarray]:
    """One forecast: roll a fitted model forward over `y`, or fit it on `y` afresh."""
    kwargs: dict[str, Any] = {"y": y, "h": h, "X": x, "X_future": x_future}
    if native:
        kwargs["level"] = [LEVEL]
    try:
        return model.forward(**kwargs) if roll else model.forecast(**kwargs)
    except Exception:  # a model that cannot fit this series gives way to the fallback
        return fallback.forecast(**kwargs)


def _smooth_group(chunk: Chunk, cols: np.ndarray, group: Group, s: Settings) -> Outcome:
    """Rolling-origin backtest of the smooth candidates, then the chosen model's forecast.

    Models whose estimation is costly (FIT_ONCE) are estimated once, on the data before the
    first origin, and rolled forward with fixed parameters (states updated) through the later
    origins and to the forecast origin; the cheap ones are refitted at every origin.
    """
    df, positions, columns = _long_frame(chunk, cols, "smooth", s.regressors)
    k = len(cols)
    lengths = np.bincount(df["unique_id"], minlength=k)
    starts = np.cumsum(lengths) - lengths
    test_size = s.n_windows * s.bt_horizon
    models = _candidates(group, int(lengths.max()), s.regressors is not None)
    once = [m for m in models if repr(m) in FIT_ONCE]
    fallback = SeasonalNaive(season_length=group.m_naive, alias="fallback")
    y_all = df["y"].to_numpy()
    x_all = df.filter(regex=r"^x\d+$").to_numpy() if s.regressors is not None else None
    x_next = s.regressors[s.n_hist :] if s.regressors is not None else None
    predictions = {repr(m): np.empty(k * test_size) for m in models}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted: npt.NDArray[np.object_] = np.empty((k, 0), dtype=object)
        if once:
            before_first_origin = df["ds"].to_numpy() < (lengths - test_size)[df["unique_id"]]
            sf = StatsForecast(models=once, freq=1, n_jobs=s.n_jobs, fallback_model=fallback)
            fitted = cast(npt.NDArray[np.object_], sf.fit(df[before_first_origin]).fitted_)  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]

        def runner(i: int, model: Any) -> tuple[Any, bool]:
            return (fitted[i, once.index(model)], True) if model in once else (model, False)

        for i in range(k):
            span = slice(starts[i], starts[i] + lengths[i])
            y, x = y_all[span], (x_all[span] if x_all is not None else None)
            for w in range(s.n_windows):
                cut = lengths[i] - test_size + w * s.bt_horizon
                end = cut + s.bt_horizon
                out = slice(
                    i * test_size + w * s.bt_horizon,
                    i * test_size + w * s.bt_horizon + s.bt_horizon,
                )
                x_in, x_out = (x[:cut], x[cut:end]) if x is not None else (None, None)
                for model in models:
                    fit, roll = runner(i, model)
                    res = _run(fit, roll, y[:cut], s.bt_horizon, x_in, x_out, False, fallback)
                    predictions[repr(model)][out] = res["mean"]
        rows = ((starts + lengths - test_size)[:, None] + np.arange(test_size)).ravel()
        series = np.repeat(np.arange(k), test_size)
        scores = _score(chunk, series, (positions[rows], columns[rows]), predictions, "smooth", k)
        by_name = {repr(m): m for m in models}
        mean = np.empty((k, s.horizon))
        lo, hi = np.full_like(mean, np.nan), np.full_like(mean, np.nan)
        for i in range(k):
            span = slice(starts[i], starts[i] + lengths[i])
            # the chosen model is estimated afresh on the whole history: on the short or
            # coarse series this path serves, the last origins hold a fifth of the data
            fit, roll = by_name[scores.chosen[i]], False
            native = scores.chosen[i] in NATIVE_INTERVALS
            x = x_all[span] if x_all is not None else None
            x_future = x_next[:, i] if x_next is not None and x_next.ndim == 3 else x_next
            res = _run(fit, roll, y_all[span], s.horizon, x, x_future, native, fallback)
            mean[i] = res["mean"]
            if native:
                lo[i], hi[i] = res[f"lo-{LEVEL}"], res[f"hi-{LEVEL}"]
    return Outcome(scores, mean, lo, hi)


def _intermittent_group(chunk: Chunk, cols: np.ndarray, group: Group, s: Settings) -> Outcome:
    """Backtest of the intermittent candidates on observed periods only, refitted per origin."""
    df, positions, columns = _long_frame(chunk, cols, "intermittent", None)
    k = len(cols)
    lengths = np.bincount(df["unique_id"], minlength=k)
    starts = np.cumsum(lengths) - lengths
    models = _candidates(group, int(lengths.max()), False)
    names = [repr(m) for m in models]
    sf = StatsForecast(
        models=models, freq=1, n_jobs=s.n_jobs, fallback_model=HistoricAverage(alias="fallback")
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # statsforecast returns pandas for pandas input (its annotation adds polars)
        cv = cast(
            pd.DataFrame,
            sf.cross_validation(  # pyright: ignore[reportUnknownMemberType]
                df=df, h=s.bt_horizon, n_windows=s.n_windows, step_size=s.bt_horizon
            ),
        )
        ahead = cast(pd.DataFrame, sf.forecast(df=df, h=s.horizon)).sort_values(  # pyright: ignore[reportUnknownMemberType]
            ["unique_id", "ds"]
        )
    series = cv["unique_id"].to_numpy()
    rows = starts[series] + cv["ds"].to_numpy()
    predictions = {name: cv[name].to_numpy() for name in names}
    scores = _score(chunk, series, (positions[rows], columns[rows]), predictions, "intermittent", k)
    selectable = [name for name in names if name in SELECTABLE["intermittent"]]
    every = np.stack([ahead[name].to_numpy().reshape(k, s.horizon) for name in selectable])
    mean = every[scores.choice, np.arange(k)]
    return Outcome(scores, mean, np.full_like(mean, np.nan), np.full_like(mean, np.nan))


def _short_group(chunk: Chunk, cols: np.ndarray, group: Group, s: Settings) -> Outcome:
    """Too little history to backtest: simple exponential smoothing with its own interval."""
    df, _, _ = _long_frame(chunk, cols, "smooth", None)
    k = len(cols)
    sf = StatsForecast(
        models=[AutoETS(season_length=1, model="ANN", alias="SES")],
        freq=1,
        n_jobs=s.n_jobs,
        fallback_model=HistoricAverage(alias="fallback"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = cast(pd.DataFrame, sf.forecast(df=df, h=s.horizon, level=[LEVEL])).sort_values(  # pyright: ignore[reportUnknownMemberType]
            ["unique_id", "ds"]
        )
    unknown = np.full(k, np.nan)
    scores = Scores(
        np.full(k, "SES", dtype=object),
        np.zeros(k, dtype=int),
        unknown,
        unknown,
        unknown,
        np.full((k, 2), np.nan),
    )
    shape = (k, s.horizon)
    return Outcome(
        scores,
        out["SES"].to_numpy().reshape(shape),
        out[f"SES-lo-{LEVEL}"].to_numpy().reshape(shape),
        out[f"SES-hi-{LEVEL}"].to_numpy().reshape(shape),
    )


GROUP_RUNNERS = {
    "smooth": _smooth_group,
    "intermittent": _intermittent_group,
    "short": _short_group,
}


# --------------------------------------------------------------------------- vectorised path


def _origins(s: Settings, m: int) -> tuple[list[int], list[int]]:
    """Tuning origins (before the backtest) and backtest origins, as period positions."""
    first = s.n_hist - s.n_windows * s.bt_horizon
    backtest = [first + w * s.bt_horizon for w in range(s.n_windows)]
    earliest = max(2 * m, MIN_INIT)
    tuning = [o for o in (first - j * s.bt_horizon for j in range(TUNING_ORIGINS, 0, -1))]
    return [o for o in tuning if o >= earliest], backtest


def _path_errors(paths: np.ndarray, y: np.ndarray, origins: list[int], h: int) -> np.ndarray:
    """Sum of squared errors per series and parameter set of forecasts from `origins`."""
    total = np.zeros(paths.shape[1:3])
    for i, o in enumerate(origins):
        actual = y[o : o + h].T  # series × h
        err = paths[i, :, :, : actual.shape[1]] - actual[:, None, :]
        total += np.nansum(err**2, axis=2)
    return total


def _flatten(paths: np.ndarray, h: int) -> np.ndarray:
    """origins × series × h → series-major vector, as _score numbers the backtest rows."""
    return np.moveaxis(paths[:, :, :h], 0, 1).reshape(-1)


def _vectorised_backtest(
    chunk: Chunk,
    cols: np.ndarray,
    s: Settings,
    candidates: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    family: str,
    truth: np.ndarray,
    tuning: list[int],
) -> Outcome:
    """Score the candidates' backtest paths, forecast with each series' choice.

    `candidates` maps a model to its paths from the tuning origins and from the backtest
    origins (origins × series × bt_horizon) and its forecast (series × horizon). The choice
    counts the errors at the tuning origins too (against `truth`, effect-free): seven windows
    choose more steadily than the three the reported accuracy is measured on.
    """
    k = len(cols)
    test_size = s.n_windows * s.bt_horizon
    first = s.n_hist - test_size
    periods = np.tile(first + np.arange(test_size), k)
    series = np.repeat(np.arange(k), test_size)
    predictions = {name: _flatten(bt, s.bt_horizon) for name, (_, bt, _) in candidates.items()}
    prior = {
        name: _path_errors(tune[:, :, None], truth, tuning, s.bt_horizon)[:, 0]
        for name, (tune, _, _) in candidates.items()
    }
    scores = _score(chunk, series, (periods, cols[series]), predictions, family, k, prior)
    names = [n for n in candidates if n in SELECTABLE[family]]
    every = np.stack([candidates[n][2] for n in names])
    mean = every[scores.choice, np.arange(k)]
    nothing = np.full_like(mean, np.nan)
    return Outcome(scores, mean, nothing, nothing)


def _vectorised_smooth_group(chunk: Chunk, cols: np.ndarray, group: Group, s: Settings) -> Outcome:
    """Smooth family on daily history: SES and seasonal ES with parameters tuned per series at
    the tuning and backtest origins, seasonal naive as the benchmark; one pass per grid."""
    y = chunk.prepared[:, cols]
    truth = np.where(chunk.observed[:, cols], y, np.nan)  # censored periods out of the loss
    m = group.season[0] if group.season else group.m_naive
    tuning, backtest = _origins(s, max(m, group.m_naive))
    candidates: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    candidates["SES"] = _es_candidate(y, truth, 1, tuning, backtest, s)
    if m > 1:
        candidates["SeasonalES"] = _es_candidate(y, truth, m, tuning, backtest, s)
    candidates["SeasonalNaive"] = _naive_candidate(y, tuning, backtest, group.m_naive, s)
    outcome = _vectorised_backtest(chunk, cols, s, candidates, "smooth", truth, tuning)
    if s.regressors is None or not tuning:
        return outcome
    return _with_regressors(outcome, candidates, truth, tuning, backtest, s)


def _windows(values: np.ndarray, origins: list[int], h: int) -> np.ndarray:
    """Rows o .. o+h-1 of `values` for each origin: origins × h × columns."""
    return np.stack([values[o : o + h] for o in origins])


def _design(x: np.ndarray, origins: list[int], h: int) -> np.ndarray:
    """Regressors of the errors of forecasts made at `origins`: each period's values less
    their mean over the week before the origin, which the model's level already holds:
    origins × h × r (origins × h × series × r for values per series)."""
    ahead = _windows(x, origins, h)
    before = np.stack([x[max(o - RECENT, 0) : o].mean(axis=0) for o in origins])
    return ahead - before[:, None]


def _residual_fit(x: np.ndarray, errors: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Per series, least squares of the forecast errors (series × windows × h, NaN = unknown)
    on the centred regressors (windows × h × r, or windows × h × series × r where each series
    has its own values), slightly ridged: series × r."""
    ok = ~np.isnan(errors)
    xc = x - centre
    size: int = x.shape[-1]
    own = x.ndim == 4
    gram = np.einsum(
        "nhkr,knh,nhks->krs" if own else "nhr,knh,nhs->krs", xc, ok, xc
    ) + RIDGE * np.eye(size)
    moment = np.einsum("nhkr,knh->kr" if own else "nhr,knh->kr", xc, np.where(ok, errors, 0.0))
    # einsum of the float arrays is float; its stub cannot say so, hence solve's unknown result
    solution = cast(npt.NDArray[np.float64], np.linalg.solve(gram, moment[:, :, None]))
    return solution[:, :, 0]


def _with_regressors(
    outcome: Outcome,
    candidates: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    truth: np.ndarray,
    tuning: list[int],
    backtest: list[int],
    s: Settings,
) -> Outcome:
    """The chosen model plus a regression of its multi-step errors on the regressors.

    The coefficients are fitted on the errors at the tuning origins and judged on the backtest
    windows (a rolling-origin test the regression has not seen); where they lower the MAE by
    MIN_REGRESSOR_GAIN or more, they are refitted on every window and added to the forecast.
    """
    assert s.regressors is not None
    k: int
    h, k = s.bt_horizon, truth.shape[1]
    names = [n for n in candidates if n in SELECTABLE["smooth"]]
    pick, idx = outcome.scores.choice, np.arange(k)
    tune = np.stack([candidates[n][0] for n in names])[pick, :, idx]  # series × windows × h
    test = np.stack([candidates[n][1] for n in names])[pick, :, idx]
    x_tune, x_test = _design(s.regressors, tuning, h), _design(s.regressors, backtest, h)
    actual_tune = np.moveaxis(_windows(truth, tuning, h), 2, 0)
    actual_test = np.moveaxis(_windows(truth, backtest, h), 2, 0)
    own = s.regressors.ndim == 3  # per series values: centres and designs gain a series axis
    centre = x_tune.reshape(-1, *x_tune.shape[2:]).mean(axis=0)
    beta = _residual_fit(x_tune, actual_tune - tune, centre)
    lift = np.einsum("nhkr,kr->knh" if own else "nhr,kr->knh", x_test - centre, beta)
    without = np.nanmean(np.abs(actual_test - test).reshape(k, -1), axis=1)
    with_x = np.nanmean(np.abs(actual_test - test - lift).reshape(k, -1), axis=1)
    every_x = np.concatenate([x_tune, x_test])
    centre_all = every_x.reshape(-1, *every_x.shape[2:]).mean(axis=0)
    errors = np.concatenate([actual_tune - tune, actual_test - test], axis=1)
    beta_all = _residual_fit(every_x, errors, centre_all)
    future = _design(s.regressors, [s.n_hist], s.horizon)[0] - centre_all
    accepted = with_x <= (1 - MIN_REGRESSOR_GAIN) * without
    effect = np.einsum("kr,hkr->kh", beta_all, future) if own else beta_all @ future.T
    mean = outcome.mean + np.where(accepted[:, None], effect, 0.0)
    return outcome._replace(mean=mean, regressor_mae=(without, with_x))


def _es_candidate(
    y: np.ndarray, truth: np.ndarray, m: int, tuning: list[int], backtest: list[int], s: Settings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exponential smoothing (seasonal when m > 1) with each series' best grid parameters."""
    alpha, gamma = grid(m > 1)
    start = tuning[0] if tuning else backtest[0]
    h = max(s.bt_horizon, s.horizon)
    paths = es_paths(y, m, [*tuning, *backtest, s.n_hist], h, alpha, gamma, start)
    scored = [*tuning, *backtest]
    best = np.argmin(_path_errors(paths[:-1], truth, scored, s.bt_horizon), axis=1)
    chosen = paths[:, np.arange(y.shape[1]), best]  # origins × series × h
    n = len(tuning)
    return (
        chosen[:n, :, : s.bt_horizon],
        chosen[n:-1, :, : s.bt_horizon],
        chosen[-1, :, : s.horizon],
    )


def _naive_candidate(
    y: np.ndarray, tuning: list[int], backtest: list[int], m: int, s: Settings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    def paths(origins: list[int]) -> np.ndarray:
        return np.stack([_naive_from(y, o, m, s.bt_horizon) for o in origins]).reshape(
            len(origins), y.shape[1], s.bt_horizon
        )

    return paths(tuning), paths(backtest), _naive_from(y, s.n_hist, m, s.horizon)


def _naive_from(y: np.ndarray, origin: int, m: int, h: int) -> np.ndarray:
    """Seasonal naive from an origin: the last m periods before it repeated (series × h)."""
    m = max(m, 1)
    last = y[origin - m : origin].T
    return np.tile(last, (1, -(-h // m)))[:, :h]


def _vectorised_intermittent_group(
    chunk: Chunk, cols: np.ndarray, group: Group, s: Settings
) -> Outcome:
    """Intermittent family: Croston SBA, TSB (its smoothing pair tuned per series), a moving
    mean and their average, on observed periods only; seasonal naive as the benchmark."""
    y = np.where(chunk.observed[:, cols], chunk.prepared[:, cols], np.nan)
    tuning, backtest = _origins(s, group.m_naive)
    h = max(s.bt_horizon, s.horizon)
    k = len(cols)
    origins = [*tuning, *backtest, s.n_hist]
    paths = intermittent_paths(y, origins, h, tuning[0] if tuning else backtest[0])
    tsb = np.stack([paths[f"TSB{j}"] for j in range(len(TSB_ALPHAS))], axis=2)  # o × k × sets × h
    best = (
        np.argmin(_path_errors(tsb[:-1], y, [*tuning, *backtest], s.bt_horizon), axis=1)
        if tuning
        else np.zeros(k, dtype=int)
    )
    paths["TSB"] = tsb[:, np.arange(k), best]
    n_tune = len(tuning)
    candidates = {
        name: (
            paths[name][:n_tune, :, : s.bt_horizon],
            paths[name][n_tune:-1, :, : s.bt_horizon],
            paths[name][-1, :, : s.horizon],
        )
        for name in ("TSB", "CrostonSBA", "MovingMean")
    }
    trio = list(candidates.values())
    candidates["Combined"] = (
        np.mean([c[0] for c in trio], axis=0),
        np.mean([c[1] for c in trio], axis=0),
        np.mean([c[2] for c in trio], axis=0),
    )
    filled = chunk.prepared[:, cols]
    candidates["SeasonalNaive"] = _naive_candidate(filled, tuning, backtest, group.m_naive, s)
    return _vectorised_backtest(chunk, cols, s, candidates, "intermittent", y, tuning)


def run_group(chunk: Chunk, cols: np.ndarray, group: Group, s: Settings) -> Outcome:
    """The group's runner: vectorised where the history allows it, statsforecast otherwise."""
    if s.vectorised and group.family != "short" and len(group.season) <= 1:
        if group.family == "smooth":
            return _vectorised_smooth_group(chunk, cols, group, s)
        return _vectorised_intermittent_group(chunk, cols, group, s)
    return GROUP_RUNNERS[group.family](chunk, cols, group, s)
