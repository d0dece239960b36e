"""RSNA 2022 weighted log loss equals sklearn's log_loss with the competition's sample weights."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import log_loss

from segcls3d.metrics.rsna_logloss import RSNA_TARGETS, compute_rsna_logloss


def _weights(y):
    w = np.where(y == 1, 2.0, 1.0)
    w[:, -1] = np.where(y[:, -1] == 1, 14.0, 7.0)
    return w


def test_matches_sklearn_weighted_log_loss():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, (30, len(RSNA_TARGETS))).astype(float)
    p = np.clip(rng.random(y.shape) * 0.8 + 0.1 * y + 0.05, 0.01, 0.99)
    expected = log_loss(y.ravel(), p.ravel(), sample_weight=_weights(y).ravel(), labels=[0, 1])
    result = compute_rsna_logloss(y, p)
    assert result.score == pytest.approx(expected, rel=1e-12)
    assert result.n_cases == 30 and result.n_pairs == 240
    col = 7
    assert result.per_target["patient_overall"] == pytest.approx(
        log_loss(y[:, col], p[:, col], sample_weight=_weights(y)[:, col], labels=[0, 1]))


def test_unknown_labels_left_out_and_clipping():
    y = np.zeros((2, 8))
    y[1] = np.nan
    p = np.zeros((2, 8))
    p[0, 0] = 1.0  # certain and wrong: clipped to 1 - 1e-15
    r = compute_rsna_logloss(y, p)
    assert r.n_pairs == 8 and np.isfinite(r.score)
    assert r.score == pytest.approx(-np.log(1e-15) / 14, rel=1e-3)  # 1 of 14 weight units is wrong
