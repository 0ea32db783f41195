"""Which transaction model predicts this shop best: fit on a calibration window, score the holdout.

The report is the model's track record shown to the merchant: predicted vs actual repeat
purchases in the holdout, the per-customer mean absolute error next to the naive "same rate as
before" forecast, and how well P(alive) and expected purchases rank who buys again (AUC).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from activities.customers.errors import ModelFitError
from activities.customers.models import TRANSACTION_MODELS, TransactionModel

FREQUENCY_BUCKETS = 7  # calibration frequencies 0..6 shown one by one, 7+ together


@dataclass(frozen=True)
class HoldoutReport:
    """How one model, fitted on the calibration window, did on the holdout."""

    model: str
    params: dict[str, float]
    customers: int
    log_likelihood: float
    predicted_purchases: float
    actual_purchases: float
    mae: float
    baseline_predicted_purchases: float
    baseline_mae: float
    auc_p_alive: float
    auc_expected_purchases: float
    converged: bool  # the optimiser reported convergence for this fit
    by_frequency: list[dict[str, float | str]] = field(
        default_factory=list[dict[str, float | str]]
    )

    @property
    def beats_baseline(self) -> bool:
        return self.mae < self.baseline_mae


@dataclass(frozen=True)
class ModelSelection:
    """All candidates' holdout reports, the winner (lowest MAE) and the ones that failed."""

    best: str
    reports: tuple[HoldoutReport, ...]
    failures: dict[str, str]
    model: TransactionModel  # the winner, fitted on the calibration window

    def report(self, name: str | None = None) -> HoldoutReport:
        wanted = name or self.best
        return next(r for r in self.reports if r.model == wanted)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: what the workflow stores as the model report."""
        return {
            "best": self.best,
            "reports": [asdict(r) for r in self.reports],
            "failures": dict(self.failures),
        }


def select_model(
    calibration: pd.DataFrame,
    candidates: tuple[type[TransactionModel], ...] = TRANSACTION_MODELS,
    penalizer: float = 0.0,
) -> ModelSelection:
    """Fit each candidate on the calibration columns, keep the lowest holdout MAE.

    `calibration` is the frame of `calibration_holdout_summary`. Not enough data is raised as
    `NotEnoughData` (it would fail every candidate alike); a candidate whose optimiser fails is
    reported in `failures` and skipped.
    """
    required = {"frequency", "recency", "T", "frequency_holdout", "duration_holdout"}
    missing = required - set(calibration.columns)
    if missing:
        raise ValueError(
            f"calibration frame lacks {sorted(missing)}; build it with calibration_holdout_summary()"
        )
    x, tx, age = (calibration[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    actual = calibration["frequency_holdout"].to_numpy(dtype=float)
    duration = calibration["duration_holdout"].to_numpy(dtype=float)
    if len(np.unique(duration)) > 1:
        raise ValueError("duration_holdout must be the same for every customer")
    horizon = float(duration[0]) if len(duration) else 0.0

    reports: list[HoldoutReport] = []
    fitted: dict[str, TransactionModel] = {}
    failures: dict[str, str] = {}
    for cls in candidates:
        try:
            model = cls(penalizer).fit(x, tx, age)
        except ModelFitError as exc:
            failures[cls.name] = str(exc)
            continue
        fitted[cls.name] = model
        reports.append(holdout_report(model, x, tx, age, actual, horizon))
    if not reports:
        raise ModelFitError(f"no transaction model could be fitted: {failures}")
    best = min(reports, key=lambda r: r.mae)
    return ModelSelection(best.model, tuple(reports), failures, fitted[best.model])


def holdout_report(
    model: TransactionModel,
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,
    actual: np.ndarray,
    horizon: float,
) -> HoldoutReport:
    """Compare a fitted model's holdout predictions with what happened and with the baseline."""
    predicted = np.asarray(model.expected_purchases(horizon, frequency, recency, T), dtype=float)
    alive = np.asarray(model.p_alive(frequency, recency, T), dtype=float)
    baseline = naive_forecast(frequency, T, horizon)
    bought = actual > 0
    return HoldoutReport(
        model=model.name,
        params={k: float(v) for k, v in model.params_.items()},
        customers=len(frequency),
        log_likelihood=model.log_likelihood(frequency, recency, T),
        predicted_purchases=float(predicted.sum()),
        actual_purchases=float(actual.sum()),
        mae=float(np.mean(np.abs(predicted - actual))),
        baseline_predicted_purchases=float(baseline.sum()),
        baseline_mae=float(np.mean(np.abs(baseline - actual))),
        auc_p_alive=auc(bought, alive),
        auc_expected_purchases=auc(bought, predicted),
        converged=bool(model.converged_ is not False),
        by_frequency=_by_frequency(frequency, actual, predicted, baseline),
    )


def naive_forecast(frequency: np.ndarray, T: np.ndarray, horizon: float) -> np.ndarray:
    """ "Same rate as before": repeat purchases per period so far times the holdout length
    (0 for customers whose first purchase closed the calibration window)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(T > 0, frequency / T, 0.0) * horizon


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve by the rank-sum (Mann–Whitney) formula, ties at half credit;
    NaN when one class is empty."""
    labels = np.asarray(labels, dtype=bool)
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = rankdata(scores)  # average ranks: a tie counts half
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def _by_frequency(
    frequency: np.ndarray, actual: np.ndarray, predicted: np.ndarray, baseline: np.ndarray
) -> list[dict[str, float | str]]:
    """Mean holdout purchases by calibration frequency: the classic calibration plot's data."""
    bucket = np.minimum(frequency, FREQUENCY_BUCKETS).astype(int)
    counts = np.bincount(bucket, minlength=FREQUENCY_BUCKETS + 1)
    sums = {
        name: np.bincount(bucket, weights=values, minlength=FREQUENCY_BUCKETS + 1)
        for name, values in (("actual", actual), ("predicted", predicted), ("baseline", baseline))
    }
    return [
        {
            "frequency": f"{k}+" if k == FREQUENCY_BUCKETS else str(k),
            "customers": float(counts[k]),
            **{name: float(total[k] / counts[k]) for name, total in sums.items()},
        }
        for k in np.flatnonzero(counts)
    ]
