"""Score functions on hand-computed arrays (Algorithm 2 of Hooper et al. 2023 and the variants)."""
from __future__ import annotations

import numpy as np
import pytest

from segcls3d.summarize import SCORES, max_score, paper_score, soft_volume_score, topk_mean_score

P = np.array([0.9, 0.6, 0.5, 0.4, 0.1, 0.0], dtype=np.float32).reshape(1, 2, 3)
T = 0.5
B = P >= T  # 0.9, 0.6 and 0.5 (>= t, as in Algorithm 1)


@pytest.mark.parametrize(
    "label, expected",
    [(1, (0.9 + 0.6 + 0.5) / 3), (0, (0.4 + 0.1 + 0.0) / 3)],
)
def test_paper_score_hand_computed(label, expected):
    assert paper_score(P, B, T, label) == pytest.approx(expected, abs=1e-6)


def test_paper_score_ranges_on_random_maps():
    rng = np.random.default_rng(0)
    p = rng.random((4, 16, 16), dtype=np.float32)
    b = p >= 0.3
    pos, neg = paper_score(p, b, 0.3, 1), paper_score(p, b, 0.3, 0)
    assert pos == pytest.approx(float(p[b].mean()), rel=1e-6) and 0.3 <= pos <= 1
    assert neg == pytest.approx(float(p[~b].mean()), rel=1e-6) and 0 <= neg < 0.3


@pytest.mark.parametrize(
    "p, label",
    [
        (np.zeros((1, 3, 3), np.float32), 1),  # positive with no voxel >= t (tau = 0)
        (np.full((1, 3, 3), 0.8, np.float32), 0),  # negative with every voxel >= t (too few for tau)
        (np.zeros((0, 3, 3), np.float32), 0),  # zero-size map
    ],
)
def test_paper_score_empty_sets_return_threshold(p, label):
    assert paper_score(p, p >= T, T, label) == T


def test_max_score():
    assert max_score(P, B, T, 0) == pytest.approx(0.9)
    assert max_score(np.zeros((0,), np.float32), np.zeros((0,), bool), T, 0) == 0.0


@pytest.mark.parametrize(
    "k, expected",
    [
        (1, 0.9),
        (2, (0.9 + 0.6) / 2),
        (3, (0.9 + 0.6 + 0.5) / 3),  # exactly the foreground
        (4, (0.9 + 0.6 + 0.5 + 0.4) / 4),  # more than the foreground: whole-map path
        (100, 2.5 / 6),  # clamped to the number of voxels
    ],
)
def test_topk_mean_hand_computed(k, expected):
    assert topk_mean_score(P, B, T, 1, top_k=k) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("k", [1, 7, 50, 500])
@pytest.mark.parametrize("threshold", [0.2, 0.95, 1.0])
def test_topk_mean_matches_full_sort(k, threshold):
    p = np.random.default_rng(k).random((3, 10, 20), dtype=np.float32)
    expected = float(np.sort(p.ravel())[-k:].mean())
    assert topk_mean_score(p, p >= threshold, threshold, 0, top_k=k) == pytest.approx(expected, rel=1e-6)


def test_topk_mean_rejects_bad_k():
    with pytest.raises(ValueError, match="top_k"):
        topk_mean_score(P, B, T, 1, top_k=0)


def test_soft_volume_is_expected_volume_in_mm3():
    assert soft_volume_score(P, B, T, 0, voxel_volume_mm3=0.25) == pytest.approx(2.5 * 0.25, abs=1e-6)


def test_scores_registry_and_no_input_mutation():
    assert set(SCORES) == {"paper", "max", "topk_mean", "soft_volume"}
    p = np.random.default_rng(1).random((2, 8, 8), dtype=np.float32)
    before = p.copy()
    for fn in SCORES.values():
        assert np.isfinite(fn(p, p >= T, T, 1, top_k=5, voxel_volume_mm3=2.0))
    np.testing.assert_array_equal(p, before)
