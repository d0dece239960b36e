"""PxAP (image- and dataset-level) against scikit-learn's average_precision_score."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from segcls3d.metrics.pxap import PxAPAccumulator, compute_pxap, pixel_counts


def _case(rng: np.random.Generator, shape: tuple[int, ...], ties: bool) -> tuple[np.ndarray, np.ndarray]:
    mask = np.zeros(shape, np.uint8)
    centre = tuple(rng.integers(2, s - 2) for s in shape)
    mask[tuple(slice(c - 2, c + 2) for c in centre)] = 1
    saliency = np.clip(0.3 * mask + rng.normal(0.3, 0.2, shape), 0, 1)
    if ties:  # a map stored at low precision: many pixels share a value
        saliency = np.round(saliency, 1)
    return saliency, mask


@pytest.mark.parametrize("shape, ties", [((32, 24), False), ((32, 24), True), ((10, 12, 14), False),
                                         ((10, 12, 14), True)])
def test_image_level_matches_sklearn(shape, ties):
    rng = np.random.default_rng(len(shape) + ties)
    for _ in range(5):
        saliency, mask = _case(rng, shape, ties)
        assert compute_pxap(saliency, mask) == pytest.approx(average_precision_score(mask.ravel(), saliency.ravel()))


def test_dataset_level_is_one_curve_over_all_pixels():
    rng = np.random.default_rng(3)
    cases = [_case(rng, (16, 16, 8), ties=bool(i % 2)) for i in range(6)]
    acc = PxAPAccumulator()
    per_image = [acc.add(f"c{i}", s, m) for i, (s, m) in enumerate(cases)]
    result = acc.result()
    all_scores = np.concatenate([s.ravel() for s, _ in cases])
    all_masks = np.concatenate([m.ravel() for _, m in cases])
    assert result.dataset == pytest.approx(average_precision_score(all_masks, all_scores))
    expected = [average_precision_score(m.ravel(), s.ravel()) for s, m in cases]
    assert per_image == pytest.approx(expected)
    assert result.image_mean == pytest.approx(np.mean(expected))
    assert result.image_std == pytest.approx(np.std(expected))
    assert result.n_images == 6 and result.n_without_foreground == 0


def test_hand_computed_curve():
    # values 0.9 (fg), 0.8 (bg), 0.7 (fg), 0.1 (bg): precision 1 at recall 0.5, 2/3 at recall 1
    assert compute_pxap(np.array([0.9, 0.8, 0.7, 0.1]), np.array([1, 0, 1, 0])) == pytest.approx(0.5 + 1 / 3)
    # a tie between a foreground and a background pixel counts both at once (precision 1/2)
    assert compute_pxap(np.array([0.5, 0.5, 0.1]), np.array([1, 0, 0])) == pytest.approx(0.5)
    perfect = np.zeros((8, 8))
    perfect[2:4, 2:4] = 1.0
    assert compute_pxap(perfect, perfect > 0) == 1.0


def test_image_without_foreground_is_left_out_of_the_mean_but_its_pixels_count():
    acc = PxAPAccumulator()
    acc.add("pos", np.array([0.9, 0.1]), np.array([1, 0]))
    acc.add("neg", np.array([0.95, 0.2]), np.array([0, 0]))  # a false positive above the lesion
    r = acc.result()
    assert np.isnan(r.per_case["neg"]) and r.n_without_foreground == 1
    assert r.image_mean == 1.0 and r.image_std == 0.0
    assert r.dataset == pytest.approx(average_precision_score([1, 0, 0, 0], [0.9, 0.1, 0.95, 0.2]))
    assert r.to_dict()["per_case"]["neg"] is None


def test_rounding_bounds_the_distinct_values():
    rng = np.random.default_rng(0)
    saliency = rng.random((64, 64))
    mask = saliency > 0.9
    counts = pixel_counts(saliency, mask, decimals=2)
    assert len(counts.values) <= 101 and counts.totals.sum() == 64 * 64
    assert compute_pxap(saliency, mask, decimals=2) == pytest.approx(
        average_precision_score(mask.ravel(), np.round(saliency, 2).ravel()))


def test_bad_input():
    with pytest.raises(ValueError, match="shapes differ"):
        compute_pxap(np.zeros((2, 2)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="non-finite"):
        compute_pxap(np.array([np.nan, 0.1]), np.array([1, 0]))
