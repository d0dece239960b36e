"""Dice / IoU on masks of known geometry, cross-checked with scikit-learn on flattened voxels."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score, jaccard_score

from segcls3d.metrics.overlap import compute_overlap


def test_known_cubes():
    a = np.zeros((10, 10, 10), bool)
    b = np.zeros((10, 10, 10), bool)
    a[0:4, 0:4, 0:4] = True  # 64 voxels
    b[2:6, 0:4, 0:4] = True  # 64 voxels, 32 shared
    r = compute_overlap(a, b)
    assert (r.pred_voxels, r.gt_voxels, r.intersection) == (64, 64, 32)
    assert r.dice == pytest.approx(0.5)
    assert r.iou == pytest.approx(32 / 96)
    assert r.dice == pytest.approx(f1_score(b.ravel(), a.ravel()))
    assert r.iou == pytest.approx(jaccard_score(b.ravel(), a.ravel()))


def test_empty_cases():
    empty = np.zeros((3, 3), bool)
    full = np.ones((3, 3), bool)
    both = compute_overlap(empty, empty)
    assert both.both_empty and np.isnan(both.dice) and np.isnan(both.iou)
    assert compute_overlap(full, empty).dice == 0.0
    assert compute_overlap(full, full).iou == 1.0


def test_shape_mismatch():
    with pytest.raises(ValueError, match="shapes differ"):
        compute_overlap(np.zeros((2, 2)), np.zeros((2, 3)))
