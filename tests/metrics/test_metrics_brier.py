"""Brier score: equal to scikit-learn's brier_score_loss, also per bootstrap resample."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss

from segcls3d.metrics.brier import brier_of_resamples, compute_brier


def test_against_scikit_learn_and_by_hand():
    assert compute_brier([0, 1, 1, 0], [0.1, 0.8, 0.6, 0.5]) == pytest.approx((0.01 + 0.04 + 0.16 + 0.25) / 4)
    rng = np.random.default_rng(1)
    y, p = rng.integers(0, 2, 300), rng.random(300)
    assert compute_brier(y, p) == pytest.approx(brier_score_loss(y, p))
    assert compute_brier(np.zeros(4), [0.5] * 4) == pytest.approx(0.25)  # one label value is still defined


def test_resample_statistic_equals_brier_per_row():
    rng = np.random.default_rng(2)
    y, p = rng.integers(0, 2, 40), rng.random(40)
    idx = rng.integers(0, 40, size=(5, 40))
    assert brier_of_resamples(y, p, idx) == pytest.approx([brier_score_loss(y[r], p[r]) for r in idx])


def test_bad_inputs_and_empty():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        compute_brier([0, 1], [0.5, 1.2])
    with pytest.warns(UserWarning, match="undefined"):
        assert np.isnan(compute_brier([], []))
