"""`segcls3d evaluate` stops on inputs it cannot score honestly: masks on another grid, no common case,
probabilities outside [0, 1], infinite scores (each fault written into real files)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from segcls3d.cli.main import main
from segcls3d.errors import InputDataError
from segcls3d.evaluate import evaluate_predictions
from segcls3d.evaluate.mask_geometry import MaskGrid, grid_difference
from segcls3d.evaluate.score_kinds import RANKING_SCORES
from segcls3d.labels import write_case_labels

CASES = [f"c{i}" for i in range(6)]
TRUTH = [0, 1, 0, 1, 0, 1]


def _files(tmp_path, scores=(0.1, 0.9, 0.2, 0.7, 0.4, 0.6), summarizer=None):
    """classification.csv + classes.json in pred/, identical masks in pred/ and gt/, labels.csv."""
    pred, gt = tmp_path / "pred", tmp_path / "gt"
    pred.mkdir(exist_ok=True)
    gt.mkdir(exist_ok=True)
    pd.DataFrame({"case_id": CASES, "lesion_probability": list(scores)}).to_csv(pred / "classification.csv",
                                                                               index=False)
    block = {"classes": {"lesion": [1]}}
    if summarizer is not None:
        block["summarizer"] = summarizer
    (pred / "classes.json").write_text(json.dumps(block))
    for case, y in zip(CASES, TRUTH):
        arr = np.zeros((3, 6, 6), np.uint8)
        arr[1, 1:4, 1:4] = y
        _write_mask(gt / f"{case}.nii.gz", arr)
        _write_mask(pred / f"{case}.nii.gz", arr)
    write_case_labels(tmp_path / "labels.csv", {c: {"lesion": y} for c, y in zip(CASES, TRUTH)}, ["lesion"])
    return pred, gt


def _write_mask(path, arr, spacing=(0.8, 0.8, 2.5), origin=(-10.0, 5.0, 30.0), direction=None):
    img = sitk.GetImageFromArray(arr)
    img.SetSpacing(spacing)
    img.SetOrigin(origin)
    if direction is not None:
        img.SetDirection(direction)
    sitk.WriteImage(img, str(path))


def _cli(tmp_path, pred, *extra) -> list[str]:
    return ["evaluate", "--predictions", str(pred / "classification.csv"), "--labels", str(tmp_path / "labels.csv"),
            "--bootstrap", "0", *extra]


def test_masks_on_another_grid_are_named_and_stop_evaluation(tmp_path, capsys):
    pred, gt = _files(tmp_path)
    same = sitk.GetArrayFromImage(sitk.ReadImage(str(gt / "c1.nii.gz")))
    _write_mask(pred / "c1.nii.gz", same, spacing=(1.0, 1.0, 2.5))  # resampled to other voxels, same array
    _write_mask(pred / "c3.nii.gz", sitk.GetArrayFromImage(sitk.ReadImage(str(gt / "c3.nii.gz"))),
                origin=(-10.0, 5.0, 32.5))  # shifted by one slice
    flipped = (-1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
    _write_mask(pred / "c5.nii.gz", sitk.GetArrayFromImage(sitk.ReadImage(str(gt / "c5.nii.gz"))),
                direction=flipped)
    code = main(_cli(tmp_path, pred, "--pred-masks", str(pred), "--gt-masks", str(gt)))
    assert code == 2
    err = capsys.readouterr().err
    assert "3 predicted mask(s) do not lie on the grid" in err and "Traceback" not in err
    assert "case 'c1': spacing" in err and "case 'c3': origin" in err and "case 'c5': direction" in err
    assert "case 'c0'" not in err  # good cases are not listed


def test_geometry_within_tolerance_still_scores(tmp_path):
    pred, gt = _files(tmp_path)
    arr = sitk.GetArrayFromImage(sitk.ReadImage(str(gt / "c1.nii.gz")))
    _write_mask(pred / "c1.nii.gz", arr, spacing=(0.8 * (1 + 1e-6), 0.8, 2.5), origin=(-10.0, 5.0, 30.0 + 1e-6))
    result = evaluate_predictions(pred / "classification.csv", tmp_path / "labels.csv", pred, gt, n_bootstrap=0)
    assert result.classes["lesion"].masks.dice_mean == pytest.approx(1.0)


@pytest.mark.parametrize("field, value, expected", [
    ("spacing", (1.0, 1.0, 2.5001), None),                 # 4e-5 relative: same grid
    ("spacing", (1.0, 1.0, 2.51), "spacing"),
    ("origin", (0.0, 0.0, 0.0002), None),                  # 0.0002 mm < 1e-4 x 2.5 mm voxel
    ("origin", (0.0, 0.0, 0.01), "origin"),
    ("size", (4, 4, 3), "shape"),
])
def test_grid_difference_tolerance(field, value, expected):
    base = MaskGrid((4, 4, 2), (1.0, 1.0, 2.5), (0.0, 0.0, 0.0), (1.0, 0, 0, 0, 1.0, 0, 0, 0, 1.0))
    other = MaskGrid(**{**base.__dict__, field: value})
    diff = grid_difference(other, base)
    assert (diff is None) if expected is None else diff.startswith(expected)


def test_no_case_in_common_is_a_user_error_naming_both_files(tmp_path, capsys):
    pred, _ = _files(tmp_path)
    write_case_labels(tmp_path / "labels.csv", {f"other{i}": {"lesion": i % 2} for i in range(4)}, ["lesion"])
    code = main(_cli(tmp_path, pred))
    assert code == 2
    err = capsys.readouterr().err
    assert "no case in common" in err
    assert str(pred / "classification.csv") in err and str(tmp_path / "labels.csv") in err


@pytest.mark.parametrize("bad", [1.7, -0.2])
def test_probability_outside_unit_interval_names_file_case_column(tmp_path, capsys, bad):
    pred, _ = _files(tmp_path, scores=(0.1, 0.9, 0.2, bad, 0.4, 0.6))
    assert main(_cli(tmp_path, pred)) == 2
    err = capsys.readouterr().err
    assert str(pred / "classification.csv") in err and "case 'c3'" in err and "'lesion_probability'" in err
    assert "[0, 1]" in err and "Traceback" not in err


def test_unknown_summarizer_score_is_checked_too(tmp_path):
    pred, _ = _files(tmp_path, scores=(0.1, 2.0, 0.2, 0.7, 0.4, 0.6), summarizer={"kind": "new", "score": "x"})
    with pytest.raises(InputDataError, match="case 'c1', column 'lesion_probability' is 2.0"):
        evaluate_predictions(pred / "classification.csv", tmp_path / "labels.csv", n_bootstrap=0)


@pytest.mark.parametrize("summarizer", [
    {"kind": "rule_based", "score": "soft_volume", "threshold": 0.5},
    {"kind": "tuned_threshold", "rules": {"lesion": {"kind": "rule_based", "score": "soft_volume"}}},
])
def test_soft_volume_rank_is_accepted(tmp_path, summarizer):
    volumes = (0.0, 830.0, 12.5, 640.0, 40.0, 512.0)  # mm^3, a rank
    pred, _ = _files(tmp_path, scores=volumes, summarizer=summarizer)
    result = evaluate_predictions(pred / "classification.csv", tmp_path / "labels.csv", n_bootstrap=0)
    src = result.classes["lesion"].sources["summarizer"]
    assert src.auroc.value == pytest.approx(1.0) and src.youden.threshold == pytest.approx(512.0)


def test_head_probabilities_are_checked_even_with_soft_volume(tmp_path):
    pred, _ = _files(tmp_path, scores=(0.0, 830.0, 12.5, 640.0, 40.0, 512.0),
                     summarizer={"kind": "rule_based", "score": "soft_volume"})
    df = pd.read_csv(pred / "classification.csv")
    df["lesion_head_probability"] = [0.1, 0.9, 0.2, 0.8, 0.3, 1.5]
    df.to_csv(pred / "classification.csv", index=False)
    with pytest.raises(InputDataError, match="case 'c5', column 'lesion_head_probability' is 1.5"):
        evaluate_predictions(pred / "classification.csv", tmp_path / "labels.csv", n_bootstrap=0)


@pytest.mark.parametrize("text", ["inf", "-inf", "Infinity"])
def test_infinite_score_is_a_clear_error(tmp_path, capsys, text):
    pred, _ = _files(tmp_path, summarizer={"kind": "rule_based", "score": "soft_volume"})  # even for a rank
    lines = (pred / "classification.csv").read_text().splitlines()
    lines[3] = f"c2,{text}"
    (pred / "classification.csv").write_text("\n".join(lines) + "\n")
    assert main(_cli(tmp_path, pred)) == 2
    err = capsys.readouterr().err
    assert "case 'c2', column 'lesion_probability'" in err and "finite" in err and "Traceback" not in err


def test_nan_score_is_a_missing_score(tmp_path):
    pred, _ = _files(tmp_path)
    lines = (pred / "classification.csv").read_text().splitlines()
    lines[3] = "c2,nan"
    (pred / "classification.csv").write_text("\n".join(lines) + "\n")
    with pytest.warns(UserWarning, match=r"'lesion_probability' is empty for case\(s\) \['c2'\]"):
        result = evaluate_predictions(pred / "classification.csv", tmp_path / "labels.csv", n_bootstrap=0)
    assert result.classes["lesion"].sources["summarizer"].n_missing_score == 1


def test_ranking_scores_match_the_summarize_registry():
    from segcls3d.summarize.scores import PROBABILITY_SCORES, SCORES

    assert RANKING_SCORES == set(SCORES) - PROBABILITY_SCORES
