"""Model selection on a calibration/holdout split, and the track-record report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from activities.customers.analytics import (
    BetaGeo,
    ModelSelection,
    auc,
    naive_forecast,
    select_model,
)
from activities.customers.simulation import simulate_beta_geo

HOLDOUT = 26.0


@pytest.fixture(scope="module")
def split() -> pd.DataFrame:
    """20 000 BG/NBD customers seen for 26-130 weeks, then a 26-week holdout; ages in whole
    weeks, as rfm_summary reports them."""
    rng = np.random.default_rng(31)
    n = 20_000
    calibration_age = rng.uniform(26, 130, n)
    history = simulate_beta_geo(
        n, r=1.0, alpha=4.0, a=2.0, b=4.0, T=calibration_age + HOLDOUT, rng=rng
    )
    frame = np.floor(history.summary(end=calibration_age))
    in_holdout = history.time > calibration_age[history.customer]
    frame["frequency_holdout"] = np.bincount(history.customer[in_holdout], minlength=n)
    frame["duration_holdout"] = HOLDOUT
    return frame


@pytest.fixture(scope="module")
def selection(split: pd.DataFrame) -> ModelSelection:
    return select_model(split)


def test_holdout_report_beats_the_naive_baseline(
    split: pd.DataFrame, selection: ModelSelection
) -> None:
    report = selection.report()
    assert report.beats_baseline
    assert report.mae < 0.9 * report.baseline_mae
    assert report.predicted_purchases == pytest.approx(report.actual_purchases, rel=0.05)
    assert report.auc_expected_purchases > 0.75
    assert report.customers == len(split)


def test_the_lowest_mae_wins_and_every_candidate_is_reported(selection: ModelSelection) -> None:
    assert {r.model for r in selection.reports} == {"BG/NBD", "MBG/NBD", "Pareto/NBD"}
    assert selection.best == min(selection.reports, key=lambda r: r.mae).model
    assert selection.model.name == selection.best
    assert selection.failures == {}
    assert all(r.converged for r in selection.reports)


def test_report_by_calibration_frequency_adds_up(
    split: pd.DataFrame, selection: ModelSelection
) -> None:
    report = selection.report("BG/NBD")
    rows = report.by_frequency
    assert sum(row["customers"] for row in rows) == len(split)
    assert sum(row["actual"] * row["customers"] for row in rows) == pytest.approx(
        report.actual_purchases
    )
    assert rows[-1]["frequency"] == "7+"


def test_report_is_json_ready(selection: ModelSelection) -> None:
    stored = json.loads(json.dumps(selection.to_dict()))
    assert stored["best"] == selection.best
    assert set(stored["reports"][0]["params"]) == {"r", "alpha", "a", "b"}


def test_calibration_frame_must_have_the_holdout_columns(split: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="frequency_holdout"):
        select_model(split.drop(columns="frequency_holdout"), candidates=(BetaGeo,))


def test_naive_forecast_repeats_the_past_rate() -> None:
    np.testing.assert_allclose(
        naive_forecast(np.array([0, 4, 3]), np.array([10, 20, 0]), 10), [0, 2, 0]
    )


def test_auc_matches_counting_pairs_with_ties_at_half() -> None:
    rng = np.random.default_rng(5)
    labels = rng.random(300) < 0.3
    scores = np.round(rng.random(300), 1)  # plenty of ties
    positives, negatives = scores[labels], scores[~labels]
    wins = (positives[:, None] > negatives[None, :]).sum()
    ties = (positives[:, None] == negatives[None, :]).sum()
    expected = (wins + 0.5 * ties) / (len(positives) * len(negatives))
    assert auc(labels, scores) == pytest.approx(expected)
    assert auc(np.array([1, 1, 0, 0]), np.array([0.9, 0.8, 0.2, 0.1])) == 1.0
    assert np.isnan(auc(np.array([1, 1]), np.array([0.3, 0.4])))
