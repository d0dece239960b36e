"""Which slice an overlay shows: the slice of most evidence of the top class, on constructed volumes."""
from __future__ import annotations

import math

import numpy as np
import pytest

from segcls3d.labels import ClassDefinition
from segcls3d.predict.case_arrays import CaseArrays
from segcls3d.predict.overlay_slice import evidence_slice, slice_evidence
from segcls3d.predict.overlays import case_evidence, write_case_overlay
from segcls3d.predict.row_probabilities import class_label, class_probability, probability_column, top_class

CLASSES = [ClassDefinition("lesion", (1,)), ClassDefinition("cyst", (2,)), ClassDefinition("overall", ())]


def _blob(shape: tuple[int, int, int], centre: tuple[float, float, float], sigma: float) -> np.ndarray:
    z, y, x = np.indices(shape, dtype=float)
    d2 = (z - centre[0]) ** 2 + (y - centre[1]) ** 2 + (x - centre[2]) ** 2
    return np.exp(-d2 / (2 * sigma ** 2)).astype(np.float32)


def test_the_slice_of_most_probability_mass_wins_over_the_slice_of_the_highest_voxel():
    p = 0.8 * _blob((12, 20, 20), (7.0, 10.0, 10.0), 2.5)  # mass peaks on slice 7
    p[2, 3, 3] = 1.0  # the single highest voxel lies on slice 2
    sums = slice_evidence(p)
    assert sums.shape == (12,)
    assert sums[7] == pytest.approx(float(p[7].sum()))
    assert int(np.argmax(p.max(axis=(1, 2)))) == 2 and evidence_slice(p, 12) == 7


def test_ties_no_evidence_and_two_d_images():
    e = np.zeros((6, 3, 3))
    e[4, 0, 0] = e[1, 2, 2] = 0.5
    assert evidence_slice(e, 6) == 1  # the first of equal slices
    assert evidence_slice(np.zeros((6, 3, 3)), 6) == 3  # an empty mask: the middle slice
    assert evidence_slice(None, 7) == 3
    assert evidence_slice(np.full((1, 8, 8), 0.2), 1) == 0  # a 2D image read as (1, y, x): the image itself
    nan = np.zeros((3, 2, 2))
    nan[0] = np.nan
    nan[2, 0, 0] = 0.1
    assert evidence_slice(nan, 3) == 2
    with pytest.raises(ValueError, match="5 slices, the image 6"):
        evidence_slice(np.zeros((5, 2, 2)), 6)
    with pytest.raises(ValueError, match="3D"):
        slice_evidence(np.zeros((4, 4)))


def test_rows_give_probabilities_labels_and_the_top_class():
    row = {"case_id": "a", "lesion_probability": "0.30", "lesion_label": "0", "cyst_probability": 0.7,
           "cyst_label": 1, "overall_probability": "", "overall_head_probability": "0.9", "overall_head_label": "1"}
    assert class_probability(row, "lesion") == 0.3 and class_label(row, "lesion") == 0
    assert probability_column(row, "overall") == "overall_head_probability"  # empty summarizer cell: the head
    assert class_probability(row, "overall") == 0.9 and class_label(row, "overall") == 1
    assert top_class(row, ["lesion", "cyst"]) == "cyst" and top_class(row, ["lesion", "cyst", "overall"]) == "overall"
    assert math.isnan(class_probability(row, "absent")) and class_label(row, "absent") is None
    assert top_class({"case_id": "b"}, ["lesion"]) is None


def _arrays(maps: bool) -> CaseArrays:
    shape = (10, 16, 16)
    image = np.random.default_rng(0).normal(size=(1, *shape)).astype(np.float32)
    segmentation = np.zeros(shape, dtype=np.uint8)
    segmentation[2, 4:8, 4:8] = 2  # the cyst's mask lies on slice 2 only
    segmentation[8, 9:12, 9:12] = 1
    class_maps = {"lesion": _blob(shape, (8, 10, 10), 1.5), "cyst": 0.9 * _blob(shape, (6, 6, 6), 2.0)}
    return CaseArrays(image, (3.0, 0.8, 0.8), segmentation, class_maps if maps else None)


def test_overlay_shows_the_top_class_probability_peak_or_else_its_mask(tmp_path):
    row = {"case_id": "c", "lesion_probability": 0.2, "cyst_probability": 0.8, "overall_head_probability": 0.1}
    view = write_case_overlay(tmp_path / "p.png", "c", _arrays(maps=True), row, CLASSES)
    assert (view.top_class, view.evidence, view.slice_index, view.n_slices) == ("cyst", "probability", 6, 10)
    view = write_case_overlay(tmp_path / "m.png", "c", _arrays(maps=False), row, CLASSES)
    assert (view.evidence, view.slice_index) == ("mask", 2)  # maps not kept: the cyst's mask
    row["overall_head_probability"] = 0.95  # a classification-only class on top: no evidence, middle slice
    assert case_evidence(_arrays(maps=True), "overall", CLASSES) == (None, "none")
    assert write_case_overlay(tmp_path / "n.png", "c", _arrays(maps=True), row, CLASSES).slice_index == 5
