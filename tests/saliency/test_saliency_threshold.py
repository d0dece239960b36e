"""Maps to masks: the IoU threshold search against brute force with compute_overlap, Otsu, the cut-off."""
from __future__ import annotations

import numpy as np
import pytest

from segcls3d.metrics.overlap import compute_overlap
from segcls3d.model.saliency.threshold import binarize, normalize_map, otsu_threshold
from segcls3d.model.saliency.threshold_search import THRESHOLD_GRID, iou_curve, search_threshold


def _cases(seed: int, n: int = 6):
    rng = np.random.default_rng(seed)
    cases = []
    for i in range(n):
        shape = (12, 10, 8) if i % 2 else (1, 20, 20)
        relative = normalize_map(rng.gamma(2.0, size=shape) * (rng.random(shape) > 0.3))
        expert = (relative + 0.4 * rng.standard_normal(shape)) > 0.5
        if i == n - 1:
            expert[:] = False  # a case whose expert mask is empty: IoU defined only where the map is non-empty
        cases.append((relative, expert))
    return cases


def _brute_force_iou(relative, expert, t) -> float:
    return compute_overlap(relative >= t, expert).iou


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_iou_curve_equals_brute_force(seed):
    for relative, expert in _cases(seed):
        curve = iou_curve(relative, expert)
        brute = np.array([_brute_force_iou(relative, expert, t) for t in THRESHOLD_GRID])
        np.testing.assert_allclose(curve, brute, equal_nan=True)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_search_equals_brute_force(seed):
    cases = _cases(seed)
    result = search_threshold(iter(cases))
    per_threshold = []
    for t in THRESHOLD_GRID:
        values = [_brute_force_iou(r, e, t) for r, e in cases]
        per_threshold.append(np.nanmean(values))
    best = int(np.argmax(per_threshold))
    assert result.threshold == pytest.approx(THRESHOLD_GRID[best])
    assert result.mean_iou == pytest.approx(per_threshold[best])
    assert result.n_cases == len(cases) and result.method == "max_iou"


def test_known_geometry_finds_the_disk():
    yy, xx = np.mgrid[:41, :41]
    distance = np.hypot(yy - 20, xx - 20)
    saliency = np.clip(1.0 - distance / 20.0, 0, None) * 7.0  # a cone of height 7
    expert = distance <= 8.2  # relative value 1 - d / 20 >= 0.59 exactly on the disk (no pixel lies at 8.2)
    result = search_threshold([(normalize_map(saliency), expert)])
    assert result.threshold == pytest.approx(0.59) and result.mean_iou == pytest.approx(1.0)
    np.testing.assert_array_equal(binarize(saliency, result.threshold), expert)


def test_no_case_means_otsu():
    result = search_threshold(iter([]))
    assert (result.threshold, result.mean_iou, result.n_cases, result.method) == (None, None, 0, "otsu")


def test_otsu_separates_two_modes():
    rng = np.random.default_rng(0)
    low, high = rng.normal(0.15, 0.03, 3000), rng.normal(0.8, 0.05, 500)
    values = np.clip(np.concatenate([low, high]), 0, 1)
    t = otsu_threshold(values)
    assert low.max() <= t <= high.min()
    # Otsu's criterion by hand: no threshold of the grid separates the modes with a larger between-class variance
    def between(thr):
        a, b = values[values < thr], values[values >= thr]
        return len(a) * len(b) * (a.mean() - b.mean()) ** 2 / len(values) ** 2
    assert between(t) >= max(between(x) for x in np.linspace(0.3, 0.6, 31)) - 1e-6
    saliency = values.reshape(50, 70) * 3.0
    mask = binarize(saliency, None)
    np.testing.assert_array_equal(mask.ravel(), np.arange(len(values)) >= len(low))  # exactly the high mode


def test_cutoff_and_empty_maps():
    saliency = np.array([[0.0, 0.2], [0.5, 1.0]])
    assert binarize(saliency, 0.4).tolist() == [[False, False], [True, True]]
    assert not binarize(saliency, 0.4, cutoff=1.5).any()  # peak 1.0 below the cut-off
    assert binarize(saliency, 0.4, cutoff=1.0).sum() == 2
    assert not binarize(np.zeros((3, 3)), 0.1).any() and not binarize(np.zeros((3, 3)), None).any()
