"""`segcls3d evaluate` end to end on tiny CSVs and masks: exit codes, JSON, PNG, RSNA score."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk
from sklearn.metrics import log_loss, roc_auc_score

from segcls3d.cli.main import main
from segcls3d.evaluate import EvaluationResult, format_table
from segcls3d.labels import write_case_labels
from segcls3d.metrics.rsna_logloss import RSNA_TARGETS

N = 16


def _dataset(tmp_path):
    rng = np.random.default_rng(0)
    cases = [f"s{i:02d}" for i in range(N)]
    y = rng.integers(0, 2, (N, len(RSNA_TARGETS)))
    y[:2, 0] = [0, 1]
    y[:, -1] = y[:, :-1].max(axis=1)
    y[:2, -1] = [0, 1]
    pred = tmp_path / "pred"
    gt = tmp_path / "gt"
    for d in (pred, gt):
        d.mkdir()
    columns = {"case_id": cases}
    for j, t in enumerate(RSNA_TARGETS):
        p = np.clip(0.5 * y[:, j] + 0.5 * rng.random(N), 0.01, 0.99)
        columns[f"{t}_probability"] = p
        columns[f"{t}_label"] = (p >= 0.5).astype(int)
        columns[f"{t}_head_probability"] = rng.random(N)
    df = pd.DataFrame(columns)
    df.to_csv(pred / "classification.csv", index=False)
    classes = {f"C{i}": [i] for i in range(1, 8)} | {"patient_overall": [1, 2, 3, 4, 5, 6, 7]}
    (pred / "classes.json").write_text(json.dumps({"classes": classes}))
    for i, case in enumerate(cases):
        arr = np.zeros((1, 8, 8), np.uint8)
        for j in range(7):
            if y[i, j]:
                arr[0, j, :4] = j + 1
        img = sitk.GetImageFromArray(arr)
        img.SetSpacing((1.0, 1.0, 999.0))
        sitk.WriteImage(img, str(gt / f"{case}.nii.gz"))
        sitk.WriteImage(img, str(pred / f"{case}.nii.gz"))
    write_case_labels(tmp_path / "labels.csv",
                      {c: {t: int(y[i, j]) for j, t in enumerate(RSNA_TARGETS)} for i, c in enumerate(cases)},
                      list(RSNA_TARGETS))
    return df, y, pred, gt


def _evaluate(tmp_path, pred) -> list[str]:
    return ["evaluate", "--predictions", str(pred / "classification.csv"), "--labels", str(tmp_path / "labels.csv")]


def test_cli_end_to_end(tmp_path, capsys):
    df, y, pred, gt = _dataset(tmp_path)
    out_json, out_png = tmp_path / "out" / "metrics.json", tmp_path / "out" / "roc.png"
    code = main([*_evaluate(tmp_path, pred), "--pred-masks", str(pred), "--gt-masks", str(gt),
                 "--json", str(out_json), "--plot", str(out_png), "--bootstrap", "100", "--rsna"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "C1" in printed and "patient_overall" in printed and "RSNA 2022" in printed
    result = json.loads(out_json.read_text())
    typed = EvaluationResult.from_dict(result)  # the JSON reads back into the typed result
    assert typed.to_dict() == result and format_table(typed) == printed.rstrip("\n")
    assert typed.rsna.score_source == "summarizer" and typed.rsna.n_cases == N
    assert set(result["classes"]) == set(RSNA_TARGETS)
    c1 = result["classes"]["C1"]["sources"]
    assert set(c1) == {"summarizer", "head"}
    assert c1["summarizer"]["auroc"]["value"] == pytest.approx(roc_auc_score(y[:, 0], df["C1_probability"]))
    assert c1["summarizer"]["operating_points"]["youden"]["strict_recall"]["value"] == pytest.approx(
        c1["summarizer"]["operating_points"]["youden"]["recall"]["value"])  # identical masks: every hit is located
    assert result["classes"]["C1"]["masks"]["dice_mean"] == pytest.approx(1.0)
    w = np.where(y == 1, 2.0, 1.0)
    w[:, -1] *= 7
    probs = df[[f"{t}_probability" for t in RSNA_TARGETS]].to_numpy()
    expected = log_loss(y.ravel(), probs.ravel(), sample_weight=w.ravel())
    assert result["rsna"]["score"] == pytest.approx(expected)
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in out_png.parent.iterdir() if p.name.startswith(".tmp")]


def test_cli_missing_rsna_column_exit_2(tmp_path, capsys):
    df, _, pred, _ = _dataset(tmp_path)
    df.drop(columns=["C3_probability", "C5_probability"]).to_csv(pred / "classification.csv", index=False)
    code = main([*_evaluate(tmp_path, pred), "--bootstrap", "0", "--rsna"])
    assert code == 2
    err = capsys.readouterr().err
    assert "C3_probability" in err and "C5_probability" in err and "Traceback" not in err


def test_cli_mask_shape_mismatch_exit_2(tmp_path, capsys):
    _, _, pred, gt = _dataset(tmp_path)
    sitk.WriteImage(sitk.GetImageFromArray(np.zeros((1, 8, 9), np.uint8)), str(pred / "s03.nii.gz"))
    code = main([*_evaluate(tmp_path, pred), "--pred-masks", str(pred), "--gt-masks", str(gt), "--bootstrap", "0"])
    assert code == 2
    err = capsys.readouterr().err
    assert "s03" in err and "shape" in err


def test_cli_missing_predictions_file_exit_2(tmp_path, capsys):
    (tmp_path / "labels.csv").write_text("case_id,lesion\na,1\n")
    code = main(["evaluate", "--predictions", str(tmp_path / "nope.csv"), "--labels", str(tmp_path / "labels.csv")])
    assert code == 2
    assert "nope.csv" in capsys.readouterr().err


def test_rsna_library_lists_missing_label_columns(tmp_path):
    from segcls3d.errors import InputDataError
    from segcls3d.evaluate import evaluate_rsna
    from segcls3d.labels import CaseLabels

    df, y, _, _ = _dataset(tmp_path)
    labels = CaseLabels({c: y[i, :2] for i, c in enumerate(df.case_id)}, ["C1", "C2"])
    missing = r"labels lack column\(s\) \['C3', 'C4', 'C5', 'C6', 'C7', 'patient_overall'\]"
    with pytest.raises(InputDataError, match=missing):
        evaluate_rsna(df, labels)
