"""Vertebra names/ids, targets from level labels, and the TotalSegmentator weights check."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from segcls3d.conversion.ct.paper_preprocessing import bone_window, resample_around_spine
from segcls3d.conversion.ct.totalseg import check_totalseg_weights
from segcls3d.conversion.ct.vertebra_cases import VertebraeSource
from segcls3d.conversion.ct.vertebra_targets import (
    binarize,
    case_labels,
    fracture_target,
    restrict_to_slices,
    target_spec,
)
from segcls3d.conversion.ct.vertebrae import LEVEL_IDS, TOTALSEG_TOTAL_IDS, normalize_level, relabel_to_levels
from segcls3d.errors import InputDataError, ModelFolderError
from segcls3d.labels import class_definitions

CLASS_MAP = Path(__file__).resolve().parents[3] / "shared" / "data" / "totalseg_example" / "class_map_subset.json"
if not CLASS_MAP.is_file():  # repository checked out elsewhere
    CLASS_MAP = Path("/work/shared/data/totalseg_example/class_map_subset.json")


def test_totalsegmentator_ids_match_its_class_maps():
    maps = json.loads(CLASS_MAP.read_text())
    total = {name: int(i) for i, name in maps["total"].items()}
    for level, total_id in TOTALSEG_TOTAL_IDS.items():
        assert total["sacrum" if level == "sacrum" else f"vertebrae_{level}"] == total_id
    assert (TOTALSEG_TOTAL_IDS["C1"], TOTALSEG_TOTAL_IDS["C7"]) == (50, 44)
    refined = {name: int(i) for i, name in maps["vertebrae_pp_refined"].items()}  # same numbering as ours
    assert all(LEVEL_IDS[n[len("vertebrae_") :]] == i for n, i in refined.items())
    class_map = pytest.importorskip("totalsegmentator.map_to_binary").class_map["total"]
    assert {v: k for k, v in class_map.items()}["vertebrae_C3"] == TOTALSEG_TOTAL_IDS["C3"]


@pytest.mark.parametrize("name,expected", [("vertebrae_C1", "C1"), ("t12", "T12"), ("L5", "L5"), ("Sacrum", "sacrum")])
def test_normalize_level(name, expected):
    assert normalize_level(name) == expected


def test_normalize_level_rejects_unknown():
    with pytest.raises(InputDataError, match="'T13' is not a vertebra level"):
        normalize_level("T13")


def test_relabel_total_ids_to_levels():
    image = sitk.GetImageFromArray(np.array([[[0, 50, 44, 43, 27, 26, 25, 5]]], dtype=np.uint8))
    levels = sitk.GetArrayFromImage(relabel_to_levels(image, TOTALSEG_TOTAL_IDS))
    assert levels.ravel().tolist() == [0, 1, 7, 8, 24, 25, 26, 0]


def test_spec_class_blocks_validate_against_labels():
    union = target_spec(["vertebrae_C1", "C2"], per_vertebra=False)
    assert union.labels == {"background": 0, "fracture": 1}
    assert union.class_block == {"classes": {"patient_overall": [1], "C1": [], "C2": []}}
    per = target_spec(["C1", "C2"], per_vertebra=True)
    assert per.labels == {"background": 0, "C1": 1, "C2": 2}
    assert per.class_block == {"classes": {"patient_overall": [1, 2], "C1": [1], "C2": [2]}}
    for spec in (union, per):
        names = [c.name for c in class_definitions({"labels": spec.labels, "segcls3d": spec.class_block})]
        assert names == spec.classes
    with pytest.raises(InputDataError, match="duplicated"):
        target_spec(["C1", "vertebrae_C1"])


def test_case_labels_and_contradictions():
    spec = target_spec(["C1", "C2"])
    assert case_labels(spec, {"C1": 0.0, "C2": 1.0}) == {"patient_overall": 1.0, "C1": 0.0, "C2": 1.0}
    assert case_labels(spec, {"C1": 0.0, "C2": 0.0}, overall=0.0)["patient_overall"] == 0.0
    assert case_labels(spec, {"C1": 0.0})["patient_overall"] is None
    with pytest.raises(InputDataError, match="contradicts"):
        case_labels(spec, {"C1": 0.0, "C2": 0.0}, overall=1.0, case_id="s1")
    assert [binarize(v, 1) for v in ("0", "1", "3", "", "nan", 2.0)] == [0.0, 1.0, 1.0, None, None, 1.0]
    with pytest.raises(InputDataError, match="not a number"):
        binarize("yes")


def test_targets_union_per_vertebra_missing_level_and_slices():
    level_map = np.zeros((6, 3, 3), np.uint8)
    level_map[0:2], level_map[2:4], level_map[4:6, 1, 1] = 1, 2, 3
    union, per = target_spec(["C1", "C2", "C3"]), target_spec(["C1", "C2", "C3"], per_vertebra=True)
    assert fracture_target(level_map, union, ["C1", "C3"]).sum() == 18 + 2
    np.testing.assert_array_equal(fracture_target(level_map, per, ["C2", "C3"]), np.where(level_map >= 2, level_map, 0))
    with pytest.raises(InputDataError, match="vertebra C4 is labelled fractured but is absent"):
        fracture_target(level_map, target_spec(["C4"]), ["C4"], case_id="s9")
    target = fracture_target(level_map, union, ["C1", "C2"])
    assert restrict_to_slices(target, [1, 2]).sum(axis=(1, 2)).tolist() == [0, 9, 9, 0, 0, 0]
    with pytest.raises(InputDataError, match="no fractured vertebra voxel"):
        restrict_to_slices(target, [5])
    with pytest.raises(InputDataError, match="out of range"):
        restrict_to_slices(target, [6])


def test_paper_preprocessing_window_and_grid():
    ct = sitk.GetImageFromArray(np.linspace(-1000, 2000, 20 * 8 * 8).reshape(20, 8, 8).astype(np.int16))
    ct.SetSpacing((1.0, 1.0, 2.0))
    ct.SetOrigin((10.0, 20.0, 30.0))
    windowed = sitk.GetArrayFromImage(bone_window(ct, level=400, width=1800))
    assert windowed.min() == 0.0 and windowed.max() == 1.0 and windowed.dtype == np.float32
    target = sitk.GetImageFromArray((np.arange(20)[:, None, None] * np.ones((1, 8, 8))).astype(np.uint8))
    target.CopyInformation(ct)
    image, resampled = resample_around_spine(bone_window(ct), target, (5, 14), size=(4, 4, 5))
    assert image.GetSize() == (4, 4, 5) and image.GetSpacing() == pytest.approx((2.0, 2.0, 4.0))
    # voxel edges are kept: first new z centre lies 1 mm (half old-voxel width + half new) above slice 5
    assert image.GetOrigin() == pytest.approx((10.5, 20.5, 30.0 + 5 * 2.0 + 1.0))
    assert sitk.GetArrayFromImage(resampled)[:, 0, 0].tolist() == [6, 8, 10, 12, 14]


def test_missing_totalsegmentator_weights_message(tmp_path, monkeypatch):
    pytest.importorskip("totalsegmentator")
    home = tmp_path / "ts_home"
    monkeypatch.setenv("TOTALSEG_HOME_DIR", str(home))
    monkeypatch.delenv("TOTALSEG_WEIGHTS_PATH", raising=False)
    with pytest.raises(ModelFolderError) as info:
        check_totalseg_weights(fast=False)
    message = str(info.value)
    assert f"looked in {home / 'nnunet' / 'results'} (from TOTALSEG_HOME_DIR)" in message
    assert "Dataset292_TotalSegmentator_part2_vertebrae_1532subj" in message
    assert "totalseg_download_weights -t total`" in message
    ct = sitk.Image(4, 4, 4, sitk.sitkInt16)
    with pytest.raises(ModelFolderError, match="weights for task 'total' are missing"):
        VertebraeSource().level_map("case", ct)  # no mask anywhere -> TotalSegmentator -> stops at the check
    assert not home.exists()  # nothing created, nothing downloaded
    (home / "nnunet" / "results").mkdir(parents=True)
    for name in ("Dataset297_TotalSegmentator_total_3mm_1559subj", "Dataset298_TotalSegmentator_total_6mm_1559subj"):
        (home / "nnunet" / "results" / name).mkdir()
    assert check_totalseg_weights(fast=True) == home / "nnunet" / "results"


def test_totalsegmentator_call_and_cache(tmp_path, monkeypatch):
    """With weights present, TotalSegmentator's API is called as documented and its output is kept."""
    python_api = pytest.importorskip("totalsegmentator.python_api")
    home = tmp_path / "ts_home"
    for name in ("Dataset297_TotalSegmentator_total_3mm_1559subj", "Dataset298_TotalSegmentator_total_6mm_1559subj"):
        (home / "nnunet" / "results" / name).mkdir(parents=True)
    monkeypatch.setenv("TOTALSEG_HOME_DIR", str(home))
    monkeypatch.delenv("TOTALSEG_WEIGHTS_PATH", raising=False)
    calls = []

    def fake_totalsegmentator(input, output, **kwargs):  # writes what TotalSegmentator would: `total` ids
        calls.append(kwargs)
        image = sitk.ReadImage(str(input))
        seg = np.zeros(sitk.GetArrayViewFromImage(image).shape, np.uint8)
        seg[1] = TOTALSEG_TOTAL_IDS["C3"]
        out = sitk.GetImageFromArray(seg)
        out.CopyInformation(image)
        sitk.WriteImage(out, str(output))

    monkeypatch.setattr(python_api, "totalsegmentator", fake_totalsegmentator)
    ct = sitk.Image(5, 4, 3, sitk.sitkInt16)
    ct.SetSpacing((0.5, 0.5, 3.0))
    source = VertebraeSource(cache_dir=tmp_path / "cache", totalseg_fast=True, device="cpu")
    level_map = sitk.GetArrayFromImage(source.level_map("s1", ct))
    assert level_map[1].min() == LEVEL_IDS["C3"] and not level_map[[0, 2]].any()
    assert calls == [
        {
            "ml": True,
            "task": "total",
            "roi_subset": [f"vertebrae_C{i}" for i in range(1, 8)],
            "fast": True,
            "device": "cpu",
            "quiet": True,
        }
    ]
    assert source.locate("s1")[0] == tmp_path / "cache" / "s1.nii.gz"  # a re-run reuses the kept output
    source.level_map("s1", ct)
    assert len(calls) == 1


def test_totalsegmentator_not_installed_message(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "totalsegmentator", None)  # import fails as if not installed
    with pytest.raises(ModelFolderError, match=r"TotalSegmentator is not installed.*--vertebrae-from DIR"):
        check_totalseg_weights()
