"""Youden operating point equals a brute-force search over roc_curve thresholds + confusion_matrix."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, roc_curve

from segcls3d.metrics.confusion import compute_confusion_metrics
from segcls3d.metrics.operating_point import apply_threshold, youden_operating_point


def _brute_force(y, s):
    _, _, thresholds = roc_curve(y, s)
    best = None
    for t in thresholds[np.isfinite(thresholds)]:
        tn, fp, fn, tp = confusion_matrix(y, (s >= t).astype(int), labels=[0, 1]).ravel()
        j = tp / (tp + fn) - fp / (fp + tn)
        if best is None or j > best[0]:
            best = (j, t, tp, fp, tn, fn)
    return best


@pytest.mark.parametrize("seed,n", [(0, 40), (1, 150), (2, 15)])
def test_youden_matches_brute_force(seed, n):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    s = np.round(rng.random(n) + 0.4 * y, 2)
    j, t, tp, fp, tn, fn = _brute_force(y, s)
    op = youden_operating_point(y, s)
    assert op.threshold == pytest.approx(t)
    assert op.youden_index == pytest.approx(j)
    m = compute_confusion_metrics(y, apply_threshold(s, op.threshold))
    assert (m.tp, m.fp, m.tn, m.fn) == (tp, fp, tn, fn)
    assert m.recall == pytest.approx(tp / (tp + fn))
    assert m.specificity == pytest.approx(tn / (tn + fp))
    assert m.balanced_accuracy == pytest.approx((tp / (tp + fn) + tn / (tn + fp)) / 2)


def test_threshold_is_a_score_even_for_a_useless_model():
    y = np.array([0, 1, 0, 1])
    s = np.array([0.9, 0.1, 0.8, 0.2])  # perfectly inverted: J <= 0 everywhere
    op = youden_operating_point(y, s)
    assert np.isfinite(op.threshold) and op.threshold in s


def test_one_class_nan_and_warning():
    with pytest.warns(UserWarning, match="only one class"):
        op = youden_operating_point([0, 0, 0], [0.1, 0.2, 0.3])
    assert np.isnan(op.threshold) and np.isnan(op.youden_index)
