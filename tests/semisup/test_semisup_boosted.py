"""Boosted pseudo labels (Hooper et al. Setting 2) on constructed masks, and the per-case record."""
from __future__ import annotations

import numpy as np
import pytest

from segcls3d.labels import ClassDefinition
from segcls3d.pseudolabels.boosted import boost_pseudo_mask

NAN = float("nan")
ONE_CLASS = [ClassDefinition("lesion", (1,))]
TWO_CLASSES = [ClassDefinition("liver", (1,)), ClassDefinition("tumor", (2,)), ClassDefinition("report", ())]


def test_negative_is_zeroed_and_counts_removed_voxels():
    mask = np.zeros((1, 4, 4), dtype=np.uint8)
    mask[0, :2, :2] = 1
    d = boost_pseudo_mask(mask, np.array([0.0]), ONE_CLASS)
    assert d.action == "zeroed"
    assert not d.mask.any() and d.voxels == 0
    assert "4 voxels removed" in d.reason
    assert mask.sum() == 4, "the input mask is not modified"


def test_positive_with_empty_pseudo_mask_is_excluded():
    d = boost_pseudo_mask(np.zeros((1, 4, 4), np.uint8), np.array([1.0]), ONE_CLASS)
    assert d.action == "excluded" and d.mask is None
    assert "lesion" in d.reason


@pytest.mark.parametrize("label", [1.0, NAN])
def test_positive_or_unknown_keeps_the_teacher_mask(label):
    mask = np.zeros((1, 4, 4), dtype=np.uint8)
    mask[0, 1, 1:3] = 1
    d = boost_pseudo_mask(mask, np.array([label]), ONE_CLASS)
    assert d.action == "pseudo_mask"
    np.testing.assert_array_equal(d.mask, mask)
    assert d.voxels == 2


def test_empty_negative_is_still_zeroed():
    d = boost_pseudo_mask(np.zeros((2, 3, 3), np.uint8), np.array([0.0]), ONE_CLASS)
    assert d.action == "zeroed" and d.voxels == 0


def test_multiclass_negative_class_removed_positive_class_kept():
    mask = np.zeros((1, 4, 4), dtype=np.uint8)
    mask[0, 0, :3] = 1  # liver, 3 voxels
    mask[0, 3, 3] = 2  # tumor, 1 voxel
    d = boost_pseudo_mask(mask, np.array([1.0, 0.0, 1.0]), TWO_CLASSES)  # 'report' is classification-only
    assert d.action == "pseudo_mask"
    assert (d.mask == 2).sum() == 0 and (d.mask == 1).sum() == 3 and d.voxels == 3
    assert "tumor (1 voxels removed)" in d.reason


def test_multiclass_positive_without_its_label_is_excluded():
    mask = np.zeros((1, 4, 4), dtype=np.uint8)
    mask[0, 0, 0] = 1
    d = boost_pseudo_mask(mask, np.array([NAN, 1.0, 0.0]), TWO_CLASSES)
    assert d.action == "excluded"
    assert "tumor" in d.reason and d.voxels == 1


def test_overlapping_classes_negative_wins_then_positive_is_checked():
    classes = [ClassDefinition("fracture", (1,)), ClassDefinition("any", (1, 2))]
    mask = np.zeros((1, 3, 3), dtype=np.uint8)
    mask[0, 0, 0] = 1
    d = boost_pseudo_mask(mask, np.array([1.0, 0.0]), classes)  # contradictory labels: 'any' negative
    assert d.action == "excluded"


def test_ignore_voxels_are_not_foreground():
    mask = np.full((1, 2, 2), 3, dtype=np.uint8)
    mask[0, 0, 0] = 1
    d = boost_pseudo_mask(mask, np.array([NAN]), ONE_CLASS, ignore_label=3)
    assert d.voxels == 1
