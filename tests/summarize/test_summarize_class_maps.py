"""Class probability maps from softmax / sigmoid outputs and class masks from label maps."""
from __future__ import annotations

import numpy as np
import pytest

from segcls3d.summarize import class_probability_maps, label_mask_for_class


def _softmax(logits):
    e = np.exp(logits - logits.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


@pytest.mark.parametrize("spatial", [(1, 8, 9), (4, 5, 6)])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_softmax_groups_are_channel_sums(spatial, dtype):
    probs = _softmax(np.random.default_rng(0).normal(size=(4, *spatial))).astype(dtype)
    maps = class_probability_maps(probs, {"b": [2], "ab": [1, 2], "fg": [1, 2, 3]})
    assert list(maps) == ["b", "ab", "fg"]
    for name, channels in [("b", [2]), ("ab", [1, 2]), ("fg", [1, 2, 3])]:
        assert maps[name].dtype == np.float32 and maps[name].shape == spatial
        np.testing.assert_allclose(maps[name], probs[channels].astype(np.float64).sum(0), atol=2e-3)
    np.testing.assert_allclose(maps["fg"], 1.0 - probs[0].astype(np.float64), atol=2e-3)


def test_overlapping_sigmoid_regions_are_clipped_and_input_untouched():
    probs = np.array([[0.9, 0.2], [0.8, 0.1]], dtype=np.float32)  # 2 regions, 2 voxels
    before = probs.copy()
    maps = class_probability_maps(probs, {"union": [0, 1], "r0": [0]})
    np.testing.assert_allclose(maps["union"], [1.0, 0.3], atol=1e-6)
    maps["r0"][:] = 0  # a new array, not a view
    np.testing.assert_array_equal(probs, before)


@pytest.mark.parametrize(
    "groups, match",
    [
        ({"tumour": []}, "'tumour'"),
        ({"tumour": [1, 1]}, "'tumour'.*twice"),
        ({"tumour": [3]}, "'tumour'.*out of range"),
        ({"tumour": [-1]}, "'tumour'.*out of range"),
    ],
)
def test_bad_groups_raise(groups, match):
    with pytest.raises(ValueError, match=match):
        class_probability_maps(np.zeros((3, 2, 2), np.float32), groups)


def test_probabilities_need_channel_axis():
    with pytest.raises(ValueError, match="shape"):
        class_probability_maps(np.zeros(5, np.float32), {"a": [0]})


@pytest.mark.parametrize(
    "ids, expected",
    [([], [0, 0, 0, 0, 0]), ([2], [0, 0, 1, 0, 0]), ((1, 4), [0, 1, 0, 0, 1])],
)
def test_label_mask_for_class(ids, expected):
    mask = label_mask_for_class(np.array([[0, 1, 2, 3, 4]], dtype=np.uint8), ids)
    assert mask.dtype == bool and mask.shape == (1, 5)
    assert mask[0].astype(int).tolist() == expected
