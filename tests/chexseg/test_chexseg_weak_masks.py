"""Weak masks of one case: class labels decide (negatives empty, empty positives excluded), maps say where."""
from __future__ import annotations

import numpy as np

from segcls3d.labels import ClassDefinition
from segcls3d.pseudolabels.cam_masks import paint_classes, weak_mask

LESION, CYST = ClassDefinition("lesion", (1,)), ClassDefinition("cyst", (2,))
ANY = ClassDefinition("any_finding", ())  # classification-only: no mask


def _maps():
    lesion = np.zeros((1, 8, 8))
    lesion[0, 1:4, 1:4] = 2.0
    lesion[0, 2, 2] = 4.0
    cyst = np.zeros((1, 8, 8))
    cyst[0, 5:7, 5:8] = 1.0
    cyst[0, 3, 3] = 0.9  # overlaps the lesion blob, weaker there (relative 0.9 vs lesion 0.5)
    return {"lesion": lesion, "cyst": cyst}


def test_positive_and_unknown_classes_are_thresholded_and_painted():
    d = weak_mask(_maps(), np.array([1.0, np.nan, 0.0]), [LESION, CYST, ANY], {"lesion": 0.5, "cyst": 0.8})
    assert d.action == "weak_mask"
    expected = np.zeros((1, 8, 8), int)
    expected[0, 1:4, 1:4] = 1  # relative >= 0.5: the whole lesion square
    expected[0, 5:7, 5:8] = 2
    expected[0, 3, 3] = 2  # both cover it: the cyst's relative value (0.9) beats the lesion's (0.5)
    np.testing.assert_array_equal(d.mask, expected)
    assert d.voxels == int((expected > 0).sum())
    assert "lesion: positive" in d.reason and "cyst: unknown" in d.reason


def test_negatives_get_empty_masks():
    d = weak_mask(_maps(), np.array([0.0, 0.0, 1.0]), [LESION, CYST, ANY], {"lesion": 0.5, "cyst": 0.8})
    assert d.action == "background" and not d.mask.any() and d.voxels == 0
    d = weak_mask(_maps(), np.array([0.0, 1.0, 1.0]), [LESION, CYST, ANY], {"lesion": 0.5, "cyst": 0.8})
    assert d.action == "weak_mask" and set(np.unique(d.mask)) == {0, 2}


def test_positive_whose_map_is_empty_or_below_the_cutoff_is_excluded():
    maps, thresholds = _maps(), {"lesion": 0.5, "cyst": 0.8}
    d = weak_mask(maps, np.array([np.nan, 1.0, 1.0]), [LESION, CYST, ANY], thresholds, cutoff=3.0)
    assert d.action == "excluded" and d.mask is None and d.reason.startswith("positive for cyst but")
    d = weak_mask(maps, np.array([1.0, np.nan, 1.0]), [LESION, CYST, ANY], thresholds, cutoff=3.0)
    assert d.action == "weak_mask" and set(np.unique(d.mask)) == {0, 1}  # cyst unknown, peak 1 < 3: left out
    maps["lesion"][:] = 0.0
    assert weak_mask(maps, np.array([1.0, 0.0, 1.0]), [LESION, CYST, ANY], thresholds).action == "excluded"


def test_otsu_when_no_threshold():
    d = weak_mask(_maps(), np.array([1.0, 0.0, np.nan]), [LESION, CYST, ANY], {"lesion": None, "cyst": None})
    lesion = _maps()["lesion"][0]
    np.testing.assert_array_equal(d.mask[0] == 1, lesion >= 2.0)  # two levels above zero: Otsu keeps the blob


def test_nested_regions_get_the_best_matching_label():
    whole, core, enhancing = (ClassDefinition("whole", (1, 2, 3)), ClassDefinition("core", (2, 3)),
                              ClassDefinition("enhancing", (3,)))
    covered = {"whole": np.array([1, 1, 1, 0, 1], bool), "core": np.array([0, 1, 1, 0, 0], bool),
               "enhancing": np.array([0, 0, 1, 0, 1], bool)}
    relative = {k: np.ones(5) for k in covered}
    # voxel 4: whole + enhancing without core (inconsistent): labels 1 and 3 both score 1; 3 is stronger? equal -> 1
    assert paint_classes(covered, relative, [whole, core, enhancing]).tolist() == [1, 2, 3, 0, 1]
