"""Strict recall: a detected positive in the wrong place counts as a miss."""
from __future__ import annotations

import numpy as np
import pytest

from segcls3d.metrics.strict_recall import compute_strict_recall, masks_overlap


def _box(shape, z, y, x):
    m = np.zeros(shape, bool)
    m[z[0]:z[1], y[0]:y[1], x[0]:x[1]] = True
    return m


def test_wrong_location_is_a_miss():
    shape = (4, 16, 16)
    gt = [_box(shape, (0, 2), (2, 6), (2, 6))] * 3
    pred = [
        _box(shape, (1, 3), (5, 9), (5, 9)),  # overlaps the corner voxel(s): located
        _box(shape, (0, 4), (10, 14), (10, 14)),  # detected, wrong place
        np.zeros(shape, bool),  # missed
    ]
    located = [masks_overlap(p, g) for p, g in zip(pred, gt)]
    assert located == [True, False, False]
    r = compute_strict_recall([1, 1, 1], [1, 1, 0], located)
    assert r.recall == pytest.approx(2 / 3)
    assert r.strict_recall == pytest.approx(1 / 3)
    assert (r.n_positive, r.n_detected, r.n_detected_and_located) == (3, 2, 1)


def test_located_but_not_predicted_positive_is_a_miss_and_negatives_ignored():
    r = compute_strict_recall([1, 0, 0], [0, 1, 1], [True, True, False])
    assert r.strict_recall == 0.0 and r.n_positive == 1


def test_min_voxels():
    a = _box((1, 4, 4), (0, 1), (0, 2), (0, 2))
    b = _box((1, 4, 4), (0, 1), (1, 3), (1, 3))  # one shared voxel
    assert masks_overlap(a, b) and not masks_overlap(a, b, min_voxels=2)


def test_no_positives_nan_with_warning():
    with pytest.warns(UserWarning, match="strict recall is undefined"):
        assert np.isnan(compute_strict_recall([0, 0], [1, 0], [True, True]).strict_recall)
