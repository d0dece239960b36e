"""The typed evaluation result: JSON shape of to_dict, from_dict round trip, undefined values as None."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from segcls3d.evaluate import (
    ClassResult,
    Estimate,
    EvaluationResult,
    OperatingPointResult,
    RsnaEvaluation,
    YoudenPoint,
    evaluate_predictions,
)
from segcls3d.labels import CaseLabels

RATES = ["balanced_accuracy", "recall", "precision", "specificity"]


def _write(folder, case, array):
    folder.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(sitk.GetImageFromArray(array.astype(np.uint8)), str(folder / f"{case}.nii.gz"))


@pytest.fixture
def result(tmp_path) -> EvaluationResult:
    """lesion: 4 cases with masks; rare: all negative (undefined metrics); one case without labels."""
    y = [1, 1, 0, 0]
    cases = ["a", "b", "c", "d"]
    for case, label in zip(cases, y):
        gt = np.zeros((1, 4, 4))
        gt[0, :2, :2] = label
        _write(tmp_path / "gt", case, gt)
        _write(tmp_path / "pred", case, gt)
    df = pd.DataFrame({"case_id": cases + ["x"], "lesion_probability": [0.9, 0.4, 0.3, 0.1, 0.5],
                       "lesion_label": [1, 0, 0, 0, 1], "rare_probability": [0.1, 0.2, 0.3, 0.4, 0.5]})
    labels = CaseLabels({c: [v, 0] for c, v in zip(cases, y)}, ["lesion", "rare"])
    with pytest.warns(UserWarning):
        return evaluate_predictions(df, labels, tmp_path / "pred", tmp_path / "gt",
                                    class_label_ids={"lesion": [1], "rare": [2]}, n_bootstrap=20)


def test_json_shape(result):
    d = result.to_dict()
    assert list(d) == ["predictions", "labels", "n_prediction_cases", "n_cases_without_labels",
                       "cases_without_labels", "n_labeled_cases_without_prediction", "n_bootstrap", "seed", "level",
                       "classes", "masks", "location"]
    assert (d["n_prediction_cases"], d["n_cases_without_labels"], d["cases_without_labels"]) == (5, 1, ["x"])
    src = d["classes"]["lesion"]["sources"]["summarizer"]
    assert list(src) == ["probability_column", "label_column", "n_unknown_label", "n_missing_score", "n",
                         "n_positive", "n_negative", "auroc", "bootstrap", "operating_points", "roc_curve",
                         "calibration"]
    youden, model = src["operating_points"]["youden"], src["operating_points"]["model"]
    assert list(youden) == ["threshold", "tp", "fp", "tn", "fn", "youden_index", *RATES, "strict_recall"]
    assert list(model) == ["threshold", "tp", "fp", "tn", "fn", *RATES, "strict_recall"]
    assert (youden["threshold"], youden["tp"], youden["fp"], youden["youden_index"]) == (0.4, 2, 0, 1.0)
    assert (model["threshold"], model["tp"], model["fn"], model["recall"]["value"]) == (None, 1, 1, 0.5)
    assert src["roc_curve"]["thresholds"][0] is None  # scikit-learn's infinite first threshold
    assert d["masks"]["class_label_ids"] == {"lesion": [1], "rare": [2]} and d["masks"]["n_missing"] == 0
    json.dumps(d, allow_nan=False)


def test_undefined_class_is_none_everywhere(result):
    rare = result.classes["rare"].sources["summarizer"]
    assert rare.single_class and rare.auroc == Estimate(None, None, None) and rare.roc_curve is None
    assert rare.youden.youden_index is None and rare.model is None
    assert rare.youden.strict_recall.value is None and rare.youden.strict_recall.n_positive == 0
    masks = result.classes["rare"].masks
    assert (masks.dice_mean, masks.n_both_empty, masks.n_cases) == (None, 4, 4)
    assert result.to_dict()["classes"]["rare"]["masks"]["per_case"]["a"] == {
        "dice": None, "iou": None, "pred_voxels": 0, "gt_voxels": 0, "intersection": 0}


def test_from_dict_round_trip(result):
    d = json.loads(json.dumps(result.to_dict()))
    again = EvaluationResult.from_dict(d)
    assert again.to_dict() == d
    assert again.classes["lesion"].sources["summarizer"] == result.classes["lesion"].sources["summarizer"]
    assert type(again.classes["lesion"].sources["summarizer"].youden) is YoudenPoint
    assert type(again.classes["lesion"].sources["summarizer"].model) is OperatingPointResult
    assert again.classes["rare"].masks.per_case["a"].both_empty


def test_with_rsna_adds_the_key_last():
    base = EvaluationResult("p.csv", "l.csv", 0, (), 0, 0, 0, 0.95, {"c": ClassResult({})})
    rsna = RsnaEvaluation("head", ("C1_head_probability",), None, {"C1": None}, 0, 0)
    d = base.with_rsna(rsna).to_dict()
    assert list(d)[-2:] == ["classes", "rsna"] and d["classes"] == {"c": {"sources": {}}}
    assert d["rsna"] == {"score_source": "head", "columns": ["C1_head_probability"], "score": None,
                         "per_target": {"C1": None}, "n_cases": 0, "n_pairs": 0}
    assert base.rsna is None  # frozen: with_rsna returns a copy
