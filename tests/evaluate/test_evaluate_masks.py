"""Mask metrics through evaluate_predictions: Dice/IoU, strict recall, missing files, shape mismatch."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from segcls3d.errors import InputDataError
from segcls3d.evaluate import StrictRecall, evaluate_predictions
from segcls3d.labels import CaseLabels

SHAPE = (4, 12, 12)


def _write(folder, case, array):
    folder.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(sitk.GetImageFromArray(array.astype(np.uint8)), str(folder / f"{case}.nii.gz"))


def _mask(box=None, label=1):
    m = np.zeros(SHAPE, np.uint8)
    if box is not None:
        (z0, z1), (y0, y1), (x0, x1) = box
        m[z0:z1, y0:y1, x0:x1] = label
    return m


def _setup(tmp_path):
    gt_box = ((0, 2), (0, 4), (0, 4))  # 32 voxels
    cases = {
        # case: (label, score, gt, pred)
        "hit": (1, 0.9, _mask(gt_box), _mask(((0, 2), (0, 4), (2, 6)))),  # 16 shared of 32+32
        "wrong_place": (1, 0.8, _mask(gt_box), _mask(((2, 4), (8, 12), (8, 12)))),
        "missed": (1, 0.2, _mask(gt_box), _mask()),
        "true_neg": (0, 0.1, _mask(), _mask()),
        "false_pos": (0, 0.3, _mask(), _mask(((0, 1), (0, 2), (0, 2)), label=2)),  # other label: not lesion
    }
    for case, (_, _, gt, pred) in cases.items():
        _write(tmp_path / "gt", case, gt)
        _write(tmp_path / "pred", case, pred)
    df = pd.DataFrame({"case_id": list(cases), "lesion_probability": [v[1] for v in cases.values()]})
    labels = CaseLabels({c: [v[0]] for c, v in cases.items()}, ["lesion"])
    return df, labels


def test_strict_recall_and_dice(tmp_path):
    df, labels = _setup(tmp_path)
    result = evaluate_predictions(df, labels, tmp_path / "pred", tmp_path / "gt",
                                  class_label_ids={"lesion": [1]}, n_bootstrap=50)
    entry = result.classes["lesion"]
    youden = entry.sources["summarizer"].youden
    assert youden.threshold == pytest.approx(0.8)  # hit + wrong_place detected, nothing else
    assert youden.recall.value == pytest.approx(2 / 3)
    assert youden.strict_recall == StrictRecall(value=pytest.approx(1 / 3), recall_same_cases=pytest.approx(2 / 3),
                                                n_positive=3, n_detected=2, n_detected_and_located=1,
                                                n_positive_left_out=0)  # wrong_place is a miss
    masks = entry.masks
    assert (masks.label_ids, masks.n_cases, masks.n_both_empty) == ((1,), 5, 2)  # label 2 is not lesion
    assert masks.per_case["hit"].dice == pytest.approx(0.5)
    assert masks.per_case["hit"].iou == pytest.approx(16 / 48)
    assert masks.dice_mean == pytest.approx(0.5 / 3)
    assert masks.dice_mean_gt_positive == pytest.approx(0.5 / 3)
    assert result.masks.missing_cases == [] and result.masks.class_label_ids == {"lesion": (1,)}
    as_json = result.to_dict()
    assert as_json["masks"]["n_missing"] == 0
    assert as_json["classes"]["lesion"]["masks"]["per_case"]["true_neg"]["dice"] is None  # both empty: undefined


def test_classes_json_next_to_predictions_and_missing_mask(tmp_path):
    df, labels = _setup(tmp_path)
    (tmp_path / "pred" / "missed.nii.gz").unlink()
    df.to_csv(tmp_path / "pred" / "classification.csv", index=False)
    (tmp_path / "pred" / "classes.json").write_text('{"classes": {"lesion": [1]}}')
    with pytest.warns(UserWarning, match="no predicted mask .* \\['missed'\\]"):
        result = evaluate_predictions(tmp_path / "pred" / "classification.csv", labels,
                                      tmp_path / "pred", tmp_path / "gt", n_bootstrap=0)
    assert result.masks.missing_cases == ["missed"] and result.masks.missing_pred == ("missed",)
    strict = result.classes["lesion"].sources["summarizer"].youden.strict_recall
    assert strict.n_positive == 2 and strict.n_positive_left_out == 1


def test_missing_classes_file_is_a_clear_error(tmp_path):
    df, labels = _setup(tmp_path)
    df.to_csv(tmp_path / "classification.csv", index=False)
    with pytest.raises(InputDataError, match="classes.json: classes file not found"):
        evaluate_predictions(tmp_path / "classification.csv", labels, tmp_path / "pred", tmp_path / "gt")


def test_shape_mismatch_names_the_case(tmp_path):
    df, labels = _setup(tmp_path)
    _write(tmp_path / "pred", "hit", np.zeros((4, 12, 10), np.uint8))
    with pytest.raises(InputDataError, match="case 'hit'.*shape"):
        evaluate_predictions(df, labels, tmp_path / "pred", tmp_path / "gt", class_label_ids={"lesion": [1]})
