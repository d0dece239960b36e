"""AUROC: sklearn point estimate, rank-based batch form, one-class -> NaN + warning."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from segcls3d.metrics.auroc import auroc_from_ranks, compute_auroc


@pytest.mark.parametrize("seed,n,ties", [(0, 50, False), (1, 200, False), (2, 80, True)])
def test_auroc_equals_sklearn(seed, n, ties):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    s = rng.random(n) + 0.3 * y
    if ties:
        s = np.round(s, 1)
    expected = roc_auc_score(y, s)
    assert compute_auroc(y, s) == pytest.approx(expected, abs=1e-12)
    assert auroc_from_ranks(y, s) == pytest.approx(expected, abs=1e-12)


def test_rank_auroc_batches_match_sklearn_row_by_row():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, (20, 30))
    s = np.round(rng.random((20, 30)), 2)
    y[0] = 1  # single class row -> NaN
    batch = auroc_from_ranks(y, s)
    assert np.isnan(batch[0])
    for row in range(1, 20):
        assert batch[row] == pytest.approx(roc_auc_score(y[row], s[row]), abs=1e-12)


def test_one_class_gives_nan_and_warning():
    with pytest.warns(UserWarning, match="only one class"):
        assert np.isnan(compute_auroc([1, 1, 1], [0.2, 0.5, 0.9]))


def test_bad_input_raises():
    with pytest.raises(ValueError):
        compute_auroc([0, 1, 2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError):
        compute_auroc([0, 1], [0.1, np.nan])
