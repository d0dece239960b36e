"""Expected calibration error: a hand computation, scikit-learn's bins, the vectorized bootstrap statistic."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.calibration import calibration_curve

from segcls3d.metrics.ece import bin_ids, calibration_bins, compute_ece, ece_of_resamples

# 8 cases in 4 bins of width 0.25:
#   bin 0 [0, 0.25]:    p 0.1, 0.2       y 0, 0   -> mean p 0.15, freq 0.0, gap 0.15, weight 2/8
#   bin 1 (0.25, 0.5]:  p 0.3, 0.4, 0.5  y 0, 1, 0 -> mean p 0.40, freq 1/3, gap 1/15, weight 3/8
#   bin 2 (0.5, 0.75]:  empty
#   bin 3 (0.75, 1]:    p 0.8, 0.9, 1.0  y 1, 1, 0 -> mean p 0.90, freq 2/3, gap 7/30, weight 3/8
Y = np.array([0, 0, 0, 1, 0, 1, 1, 0])
P = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.8, 0.9, 1.0])
HAND_ECE = 2 / 8 * 0.15 + 3 / 8 * (1 / 15) + 3 / 8 * (7 / 30)  # = 0.15


def test_hand_computed_example():
    assert HAND_ECE == pytest.approx(0.15)
    assert compute_ece(Y, P, n_bins=4) == pytest.approx(HAND_ECE)
    bins = calibration_bins(Y, P, n_bins=4)
    assert bins.counts.tolist() == [2, 3, 0, 3]
    assert bins.mean_predicted[[0, 1, 3]] == pytest.approx([0.15, 0.4, 0.9])
    assert bins.observed_frequency[[0, 1, 3]] == pytest.approx([0.0, 1 / 3, 2 / 3])
    assert np.isnan(bins.mean_predicted[2]) and np.isnan(bins.observed_frequency[2])
    assert bins.edges == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])


def test_edges_follow_scikit_learn():
    # a probability on an edge belongs to the lower bin (0.5 -> bin 1 of 4); 0 and 1 to the outer bins
    assert bin_ids(np.array([0.0, 0.25, 0.2500001, 0.5, 1.0]), 4).tolist() == [0, 0, 1, 1, 3]
    rng = np.random.default_rng(3)
    y, p = rng.integers(0, 2, 200), rng.random(200)
    bins = calibration_bins(y, p, n_bins=10)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
    filled = bins.counts > 0
    assert bins.observed_frequency[filled] == pytest.approx(prob_true)
    assert bins.mean_predicted[filled] == pytest.approx(prob_pred)
    assert bins.counts.sum() == 200


def test_perfectly_calibrated_and_constant():
    assert compute_ece([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == pytest.approx(0.0)
    assert compute_ece([1, 1, 1, 1], [0.75, 0.75, 0.75, 0.75]) == pytest.approx(0.25)


def test_resample_statistic_equals_ece_per_row():
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 2, 50), rng.random(50)
    idx = rng.integers(0, 50, size=(7, 50))
    expected = [compute_ece(y[row], p[row], n_bins=10) for row in idx]
    assert ece_of_resamples(y, p, idx, n_bins=10) == pytest.approx(expected)


@pytest.mark.parametrize("y, p, match", [
    ([0, 1], [0.2], "2 values"),
    ([0, 2], [0.2, 0.3], "0 or 1"),
    ([0, 1], [0.2, 1.5], r"\[0, 1\]"),
    ([0, 1], [0.2, np.nan], r"\[0, 1\]"),
])
def test_bad_inputs(y, p, match):
    with pytest.raises(ValueError, match=match):
        compute_ece(y, p)


def test_bins_and_empty_input():
    with pytest.raises(ValueError, match="n_bins"):
        compute_ece(Y, P, n_bins=0)
    with pytest.warns(UserWarning, match="undefined"):
        assert np.isnan(compute_ece([], []))
