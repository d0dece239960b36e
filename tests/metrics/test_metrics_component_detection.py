"""Component-level detection on masks of known geometry: found, missed, false positive, connectivity."""
from __future__ import annotations

import numpy as np
import pytest

from segcls3d.metrics.component_detection import compute_component_detection, label_components

SHAPE = (20, 30, 30)


def _ball(center, radius):
    z, y, x = np.ogrid[:SHAPE[0], :SHAPE[1], :SHAPE[2]]
    return (z - center[0]) ** 2 + (y - center[1]) ** 2 + (x - center[2]) ** 2 <= radius ** 2


def test_two_balls_one_found_one_missed_one_false_positive():
    found, missed = _ball((5, 6, 6), 3), _ball((14, 22, 22), 2)
    gt = found | missed
    blob = np.zeros(SHAPE, bool)
    blob[2:4, 20:23, 3:7] = True  # 2 x 3 x 4 = 24 voxels, centre (2.5, 21, 4.5)
    pred = _ball((6, 6, 7), 2) | blob  # overlaps the first ball only
    d = compute_component_detection(pred, gt)
    assert (d.n_true, d.n_found, d.n_false_positive, d.recall) == (2, 1, 1, 0.5)
    order = np.argsort(d.true_centroids[:, 0])
    assert d.true_found[order].tolist() == [True, False]
    assert d.true_sizes[order].tolist() == [int(found.sum()), int(missed.sum())]
    assert d.true_centroids[order] == pytest.approx(np.array([[5, 6, 6], [14, 22, 22]], float))
    fp = ~d.pred_matched
    assert d.pred_sizes[fp].tolist() == [24]
    assert d.pred_centroids[fp][0] == pytest.approx([2.5, 21.0, 4.5])


def test_full_connectivity_joins_diagonal_voxels():
    mask = np.zeros((3, 3, 3), bool)
    mask[0, 0, 0] = mask[1, 1, 1] = mask[2, 2, 2] = True  # touch only at corners
    assert label_components(mask)[1] == 1


def test_empty_masks_and_shape_mismatch():
    d = compute_component_detection(np.zeros((4, 4), bool), np.zeros((4, 4), bool))
    assert (d.n_true, d.n_false_positive) == (0, 0) and np.isnan(d.recall)
    assert d.true_centroids.shape == (0, 2)
    with pytest.raises(ValueError, match="shapes differ"):
        compute_component_detection(np.zeros((2, 2)), np.zeros((2, 3)))
