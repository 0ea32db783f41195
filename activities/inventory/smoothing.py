# pyright: strict
"""Exponential smoothing and intermittent-demand methods, vectorised over a chunk of series.

statsforecast fits one series at a time (an optimiser per series and model); on daily history
that cost ~0.25 s per variant for AutoETS alone. Here every method is one pass over the periods
with numpy arrays of series × parameter sets, so a chunk of 2 000 variants costs about as much
as a handful of single-series fits:

- smooth family: seasonal naive, simple exponential smoothing (ETS A,N,N) and additive seasonal
  exponential smoothing (ETS A,N,A), their smoothing parameters chosen per series from a grid by
  the multi-step error at seven rolling origins (four before the backtest windows, and the three
  backtest ones: the stored backtest MAE is therefore slightly optimistic, the model choice
  steadier);
- intermittent family: Croston SBA, TSB (which follows a dying series down) and a 28-period
  moving mean, updated on observed periods only (censored periods are skipped, not zeros).

Parameters are chosen per series at every run (a full refit costs ~2 ms of CPU per variant),
so nothing has to be stored between runs.
"""

from __future__ import annotations

import numpy as np

ALPHAS = np.array([0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.35])
GAMMAS = np.array([0.005, 0.01, 0.02, 0.05, 0.1, 0.2])
TUNING_ORIGINS = 4  # origins before the backtest windows the parameters are chosen at
SBA_ALPHA = 0.1
TSB_ALPHAS = (
    (0.1, 0.1),
    (0.05, 0.05),
    (0.2, 0.1),
    (0.02, 0.02),
    (0.02, 0.05),
    (0.02, 0.1),
    (0.05, 0.2),
)
MOVING_WINDOW = 28

SMOOTH_MODELS = ("SES", "SeasonalES")
INTERMITTENT_MODELS = ("TSB", "CrostonSBA", "MovingMean")


def grid(seasonal: bool) -> tuple[np.ndarray, np.ndarray]:
    if not seasonal:
        return ALPHAS, np.zeros(len(ALPHAS))
    a, g = np.meshgrid(ALPHAS, GAMMAS, indexing="ij")
    return a.ravel(), g.ravel()


def _start_state(y: np.ndarray, until: int, m: int, phase0: int) -> tuple[np.ndarray, np.ndarray]:
    """Level (series) and seasonal index (m × series) from the periods before `until`."""
    head = y[:until]
    level = np.nanmean(np.where(np.isnan(head).all(axis=0), 0.0, head), axis=0)
    level = np.where(np.isnan(level), 0.0, level)
    season = np.zeros((m, y.shape[1]))
    if m > 1:
        phases = (np.arange(until) + phase0) % m
        for p in range(m):
            rows = head[phases == p]
            dev = np.nanmean(rows - level, axis=0) if len(rows) else np.zeros(y.shape[1])
            season[p] = np.where(np.isnan(dev), 0.0, dev)
        season -= season.mean(axis=0)
    return level, season


def es_paths(
    y: np.ndarray,
    m: int,
    origins: list[int],
    h: int,
    alpha: np.ndarray,
    gamma: np.ndarray,
    init_until: int,
) -> np.ndarray:
    """Additive level (+ seasonal when m > 1) smoothing of each column of `y` (periods ×
    series, NaN = skip) under every (alpha, gamma) pair (shape sets, or series × sets); the h-step forecasts made at each
    origin (a forecast made at origin o covers periods o .. o+h-1). origins × series × sets × h."""
    t_all, k = y.shape
    g = alpha.shape[-1]
    m = max(m, 1)
    level0, season0 = _start_state(y, max(init_until, 1), m, 0)
    level = np.repeat(level0[:, None], g, axis=1)
    season = np.repeat(season0[:, :, None], g, axis=2)  # m × series × sets
    a, c = np.broadcast_to(alpha, (k, g)), np.broadcast_to(gamma, (k, g))
    out = np.empty((len(origins), k, g, h))
    wanted = {o: i for i, o in enumerate(origins)}
    steps = np.arange(h)
    for t in range(t_all + 1):
        if t in wanted:
            phases = (t + steps) % m
            out[wanted[t]] = level[:, :, None] + np.moveaxis(season[phases], 0, 2)
        if t == t_all:
            break
        row = y[t]
        ok = ~np.isnan(row)
        if not ok.any():
            continue
        p = t % m
        err = np.where(ok[:, None], np.nan_to_num(row)[:, None] - level - season[p], 0.0)
        level = level + a * err
        if m > 1:
            season[p] = season[p] + c * (1 - a) * err
    return out


def _intermittent_step(
    size: np.ndarray,
    interval: np.ndarray,
    since: np.ndarray,
    row: np.ndarray,
    ok: np.ndarray,
    alpha: float,
) -> None:
    """Croston update in place at periods with demand; `since` counts observed periods."""
    since += ok
    hit = ok & (row > 0)
    size[hit] += alpha * (row[hit] - size[hit])
    interval[hit] += alpha * (since[hit] - interval[hit])
    since[hit] = 0


def intermittent_paths(
    y: np.ndarray, origins: list[int], h: int, init_until: int
) -> dict[str, np.ndarray]:
    """Flat forecasts of each intermittent method from each origin: name → origins × series."""
    t_all, k = y.shape
    head = y[: max(init_until, 1)]
    seen = (~np.isnan(head)).sum(axis=0)
    hits = (head > 0).sum(axis=0)
    mean_size = np.where(
        hits > 0, np.nansum(np.where(head > 0, head, 0.0), axis=0) / np.maximum(hits, 1), 1.0
    )
    occurrence = np.where(seen > 0, hits / np.maximum(seen, 1), 0.0)
    size = mean_size.copy()
    interval = np.where(occurrence > 0, 1 / np.maximum(occurrence, 1e-9), float(max(seen.max(), 1)))
    since = np.zeros(k)
    tsb_size = np.repeat(mean_size[None], len(TSB_ALPHAS), axis=0)
    tsb_prob = np.repeat(occurrence[None], len(TSB_ALPHAS), axis=0)
    window = np.full((MOVING_WINDOW, k), np.nan)
    filled = 0
    names = ("CrostonSBA", *(f"TSB{i}" for i in range(len(TSB_ALPHAS))), "MovingMean")
    out = {name: np.empty((len(origins), k)) for name in names}
    wanted = {o: i for i, o in enumerate(origins)}
    for t in range(t_all + 1):
        if t in wanted:
            i = wanted[t]
            out["CrostonSBA"][i] = (1 - SBA_ALPHA / 2) * size / np.maximum(interval, 1e-9)
            for j in range(len(TSB_ALPHAS)):
                out[f"TSB{j}"][i] = tsb_prob[j] * tsb_size[j]
            with np.errstate(invalid="ignore"):
                moving = np.nanmean(window, axis=0) if filled else np.full(k, np.nan)
            out["MovingMean"][i] = np.where(np.isnan(moving), occurrence * mean_size, moving)
        if t == t_all:
            break
        row = y[t]
        ok = ~np.isnan(row)
        if not ok.any():
            continue
        _intermittent_step(size, interval, since, row, ok, SBA_ALPHA)
        hit = ok & (row > 0)
        for j, (a_d, a_p) in enumerate(TSB_ALPHAS):
            tsb_prob[j] = np.where(ok, tsb_prob[j] + a_p * (hit - tsb_prob[j]), tsb_prob[j])
            tsb_size[j] = np.where(hit, tsb_size[j] + a_d * (row - tsb_size[j]), tsb_size[j])
        slot = filled % MOVING_WINDOW
        window[slot] = np.where(ok, row, window[slot])
        filled += 1
    return {name: np.repeat(v[:, :, None], h, axis=2) for name, v in out.items()}
