"""Location-aware errors on masks of known geometry: found/missed balls, a false-positive blob, per-label regions."""
from __future__ import annotations

import json

import numpy as np
import pytest
import SimpleITK as sitk

from segcls3d.evaluate import ClassLocation, format_error_report
from segcls3d.evaluate.location import locate_case
from segcls3d.evaluate.mask_geometry import MaskGrid

SHAPE = (12, 30, 30)  # (z, y, x)
SPACING = (0.5, 0.8, 2.0)  # (x, y, z) mm: anisotropic
ORIGIN = (10.0, -20.0, 30.0)
IDENTITY = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
GRID = MaskGrid((30, 30, 12), SPACING, ORIGIN, IDENTITY)
VOXEL_MM3 = 0.5 * 0.8 * 2.0


def _ball(center, radius):
    z, y, x = np.ogrid[:SHAPE[0], :SHAPE[1], :SHAPE[2]]
    return (z - center[0]) ** 2 + (y - center[1]) ** 2 + (x - center[2]) ** 2 <= radius ** 2


def _lesion_case():
    gt = (_ball((3, 8, 8), 2) | _ball((8, 22, 22), 2)).astype(np.uint8)
    pred = _ball((3, 9, 9), 2).astype(np.uint8)  # overlaps the first ball only
    pred[9:11, 2:5, 20:24] = 1  # false positive: 2 x 3 x 4 = 24 voxels, centre (z, y, x) = (9.5, 3, 21.5)
    return pred, gt


def test_found_missed_and_false_positive_with_anisotropic_spacing():
    pred, gt = _lesion_case()
    case = locate_case(pred, gt, [1], GRID)
    first, second = sorted(case.true_components, key=lambda c: c.centroid_voxel[0])
    ball_voxels = int(_ball((3, 8, 8), 2).sum())
    assert (first.found, second.found, case.n_found, case.n_pred_components) == (True, False, 1, 2)
    assert first.size_voxels == ball_voxels and first.size_mm3 == pytest.approx(ball_voxels * VOXEL_MM3)
    assert first.centroid_voxel == pytest.approx((3, 8, 8))
    assert second.centroid_world == pytest.approx((10 + 0.5 * 22, -20 + 0.8 * 22, 30 + 2.0 * 8))
    assert first.label_ids == (1,) and case.regions == ()  # one label id: no per-label table
    (fp,) = case.false_positives
    assert (fp.size_voxels, fp.found, fp.label_ids) == (24, None, (1,))
    assert fp.size_mm3 == pytest.approx(24 * 0.8)  # 19.2 mm^3
    assert fp.centroid_voxel == pytest.approx((9.5, 3.0, 21.5))
    assert fp.centroid_world == pytest.approx((20.75, -17.6, 49.0))


def test_world_coordinates_match_simpleitk_with_a_rotated_direction():
    direction = (-1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0)  # x flipped, y and z swapped
    grid = MaskGrid((30, 30, 12), SPACING, ORIGIN, direction)
    image = sitk.Image(30, 30, 12, sitk.sitkUInt8)
    image.SetSpacing(SPACING)
    image.SetOrigin(ORIGIN)
    image.SetDirection(direction)
    zyx = (9.5, 3.0, 21.5)
    assert grid.voxel_to_world(zyx) == pytest.approx(image.TransformContinuousIndexToPhysicalPoint(zyx[::-1]))


def test_per_label_regions_of_a_multi_label_class():
    # vertebrae 1..3: 1 and 2 touch (one component); the model labels vertebra 2 as 3; 3 is truly absent
    gt = np.zeros(SHAPE, np.uint8)
    gt[2:5, 5:10, 5:10], gt[5:8, 5:10, 5:10] = 1, 2
    pred = np.zeros(SHAPE, np.uint8)
    pred[2:5, 5:10, 5:10], pred[5:8, 5:10, 5:10] = 1, 3
    case = locate_case(pred, gt, [1, 2, 3], GRID)
    (component,) = case.true_components
    assert (component.found, component.label_ids, component.size_voxels) == (True, (1, 2), 150)
    outcomes = {r.label_id: (r.present, r.predicted, r.detected) for r in case.regions}
    assert outcomes == {1: (True, True, True), 2: (True, False, False), 3: (False, True, False)}
    location = ClassLocation((1, 2, 3), {"a": case, "b": locate_case(gt, gt, [1, 2, 3], GRID)})
    counts = {r.label_id: (r.n_present, r.n_detected, r.n_missed, r.n_false_positive)
              for r in location.region_counts()}
    assert counts == {1: (2, 2, 0, 0), 2: (2, 1, 1, 0), 3: (0, 0, 0, 1)}


def test_totals_json_round_trip_and_markdown():
    pred, gt = _lesion_case()
    empty = np.zeros(SHAPE, np.uint8)
    location = ClassLocation((1,), {"two_balls": locate_case(pred, gt, [1], GRID),
                                    "clean": locate_case(empty, empty, [1], GRID)})
    d = json.loads(json.dumps(location.to_dict(), allow_nan=False))
    assert d["totals"] == {"n_cases": 2, "n_true_components": 2, "n_found": 1, "n_missed": 1,
                           "component_recall": 0.5, "n_false_positive_components": 1, "false_positives_per_case": 0.5}
    assert "per_label" not in d and d["per_case"]["clean"]["true_components"] == []
    assert ClassLocation.from_dict(d) == location
    report = format_error_report({"lesion": location})
    assert "## lesion (label ids 1)" in report
    assert "| two_balls | 24 | 19.2 | 9.5, 3.0, 21.5 | 20.8, -17.6, 49.0 | 1 |" in report
    missed = report.split("### Missed findings")[1].split("###")[0]
    assert "| two_balls |" in missed and "8.0, 22.0, 22.0" in missed


def test_mismatched_inputs_are_refused():
    with pytest.raises(ValueError, match="differ in shape"):
        locate_case(np.zeros((2, 2, 2)), np.zeros((2, 2, 3)), [1], GRID)
    with pytest.raises(ValueError, match="axes"):
        locate_case(np.zeros((2, 2)), np.zeros((2, 2)), [1], GRID)
