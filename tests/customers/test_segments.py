"""RFM scores, the segment grid, and churn risk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from activities.customers.analytics import (
    SEGMENT_GRID,
    SEGMENTS,
    churn_risk,
    rfm_scores,
    segment,
)


def test_quintiles_of_distinct_values() -> None:
    summary = pd.DataFrame(
        {
            "frequency": np.arange(10.0),
            "recency": np.arange(10.0),
            "T": np.full(10, 20.0),
            "monetary_value": np.arange(10.0),
            "total_value": np.arange(10.0) * np.arange(1.0, 11.0),  # mean spend 0..9
        }
    )
    scores = rfm_scores(summary)
    assert scores["f_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert scores["m_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # silence T - recency is 20..11: the most recent buyer (last row) gets R = 5
    assert scores["r_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert scores["fm_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_ties_share_the_lower_score_and_fm_rounds_half_up() -> None:
    summary = pd.DataFrame(
        {
            "frequency": [0.0] * 6 + [1.0, 1.0, 2.0, 5.0],
            "recency": [0.0] * 6 + [3.0, 3.0, 4.0, 9.0],
            "T": np.full(10, 10.0),
            "monetary_value": 0.0,
            "total_value": [10.0, 20, 30, 40, 50, 60, 140, 160, 270, 600],
        }
    )
    scores = rfm_scores(summary)
    assert scores["f_score"].tolist() == [1] * 6 + [4, 4, 5, 5]
    # spend per purchase is 10..60, 70, 80, 90, 100; F 1 and M 2 make FM round-half-up(1.5) = 2
    assert scores.loc[2, ["f_score", "m_score", "fm_score"]].tolist() == [1, 2, 2]
    assert scores.loc[5, ["f_score", "m_score", "fm_score"]].tolist() == [1, 3, 2]
    assert scores.loc[7, ["f_score", "m_score", "fm_score"]].tolist() == [4, 4, 4]


@pytest.mark.parametrize(
    ("r", "fm", "name"),
    [
        (5, 5, "champions"),
        (5, 4, "champions"),
        (4, 5, "loyal"),
        (3, 4, "loyal"),
        (5, 2, "potential_loyalists"),
        (4, 3, "potential_loyalists"),
        (5, 1, "new"),
        (4, 1, "promising"),
        (3, 3, "need_attention"),
        (3, 1, "about_to_sleep"),
        (2, 4, "at_risk"),
        (1, 3, "at_risk"),
        (1, 5, "cant_lose"),
        (2, 5, "cant_lose"),
        (2, 2, "hibernating"),
        (1, 1, "lost"),
        (1, 2, "lost"),
    ],
)
def test_segment_grid(r: int, fm: int, name: str) -> None:
    assert segment([r], [fm])[0] == name


def test_every_cell_has_a_segment_and_every_segment_a_cell() -> None:
    r, fm = np.meshgrid(np.arange(1, 6), np.arange(1, 6))
    names = segment(r.ravel(), fm.ravel())
    assert set(names) == set(SEGMENTS)
    assert len(SEGMENTS) == 11
    assert {cell for row in SEGMENT_GRID for cell in row} == set(SEGMENTS)
    assert list(names.categories) == list(SEGMENTS)


def test_scores_outside_one_to_five_are_refused() -> None:
    with pytest.raises(ValueError, match=r"1\.\.5"):
        segment([6], [1])


def test_churn_risk_flags_long_silent_one_time_buyers_even_when_p_alive_is_one() -> None:
    # repeat buyers every 4 weeks (median gap 4); one-time buyers silent 4 and 20 weeks
    frequency = np.array([5, 5, 0, 0])
    recency = np.array([20, 20, 0, 0])
    T = np.array([22, 40, 4, 20])
    alive = np.array([0.9, 0.3, 1.0, 1.0])
    risk = churn_risk(alive, frequency, recency, T)
    assert risk[0] == pytest.approx(0.1)  # within one gap: 1 - p_alive
    assert risk[1] == pytest.approx(1 - 0.3 * 0.5**4)  # 20 weeks silent = 4 gaps overdue
    assert risk[2] == pytest.approx(0.0)
    assert risk[3] == pytest.approx(1 - 0.5**4)
    assert np.all((risk >= 0) & (risk <= 1))
