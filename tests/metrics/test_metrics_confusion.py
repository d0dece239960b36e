"""Confusion metrics vs scikit-learn; undefined rates are NaN with a warning."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score, precision_score, recall_score

from segcls3d.metrics.confusion import compute_confusion_metrics, confusion_counts, rates_from_counts


def test_rates_match_sklearn():
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 2, 100), rng.integers(0, 2, 100)
    m = compute_confusion_metrics(y, p)
    assert m.recall == pytest.approx(recall_score(y, p))
    assert m.precision == pytest.approx(precision_score(y, p))
    assert m.specificity == pytest.approx(recall_score(1 - y, 1 - p))
    assert m.balanced_accuracy == pytest.approx(balanced_accuracy_score(y, p))
    assert m.tp + m.fp + m.tn + m.fn == 100


def test_batched_counts_match_rows():
    rng = np.random.default_rng(1)
    y, p = rng.integers(0, 2, (5, 30)), rng.integers(0, 2, (5, 30))
    rates = rates_from_counts(*confusion_counts(y, p))
    for i in range(5):
        assert rates["recall"][i] == pytest.approx(recall_score(y[i], p[i]))


def test_no_predicted_positive_precision_nan_with_warning():
    with pytest.warns(UserWarning, match="precision is undefined"):
        m = compute_confusion_metrics([1, 0, 1], [0, 0, 0])
    assert np.isnan(m.precision) and m.recall == 0.0 and m.specificity == 1.0
