"""`segcls3d evaluate` with --reliability-plot, --errors and --calibration-bins on NIfTI files written by nibabel."""
from __future__ import annotations

import json

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import brier_score_loss

from segcls3d.cli.main import main
from segcls3d.evaluate import EvaluationResult, format_table
from segcls3d.labels import write_case_labels

SHAPE_XYZ = (16, 14, 8)
AFFINE = np.array([[0.8, 0, 0, -40.0], [0, 0.8, 0, 25.0], [0, 0, 2.5, 100.0], [0, 0, 0, 1]])  # RAS, anisotropic
#: case: (lesion label, summarizer probability, true boxes, predicted boxes), boxes as x, y, z slices
CASES = {
    "found": (1, 0.9, [(slice(2, 6), slice(2, 6), slice(1, 3))], [(slice(3, 7), slice(2, 6), slice(1, 3))]),
    "missed": (1, 0.3, [(slice(8, 12), slice(8, 12), slice(4, 6))], []),
    "both": (1, 0.7, [(slice(2, 6), slice(2, 6), slice(1, 3))], [(slice(2, 6), slice(2, 6), slice(1, 3))]),
    "fp": (0, 0.6, [], [(slice(10, 13), slice(1, 3), slice(5, 7))]),  # 3 x 2 x 2 = 12 voxels
    "clean_a": (0, 0.2, [], []),
    "clean_b": (0, 0.1, [], []),
}


def _write(path, boxes):
    data = np.zeros(SHAPE_XYZ, np.uint8)
    for box in boxes:
        data[box] = 1
    image = nib.Nifti1Image(data, AFFINE)
    image.set_qform(AFFINE, code=1)
    image.set_sform(AFFINE, code=1)
    nib.save(image, str(path))


def _lps(ijk):
    """World point of voxel (i, j, k) as SimpleITK reports it: NIfTI's RAS with x and y negated."""
    ras = AFFINE[:3, :3] @ np.asarray(ijk, float) + AFFINE[:3, 3]
    return ras * np.array([-1.0, -1.0, 1.0])


@pytest.fixture
def files(tmp_path):
    pred, gt = tmp_path / "pred", tmp_path / "gt"
    pred.mkdir()
    gt.mkdir()
    for case, (_, _, true_boxes, pred_boxes) in CASES.items():
        _write(gt / f"{case}.nii.gz", true_boxes)
        _write(pred / f"{case}.nii.gz", pred_boxes)
    pd.DataFrame({"case_id": list(CASES), "lesion_probability": [v[1] for v in CASES.values()]}).to_csv(
        pred / "classification.csv", index=False)
    (pred / "classes.json").write_text(json.dumps({"classes": {"lesion": [1]}}))
    write_case_labels(tmp_path / "labels.csv", {c: {"lesion": v[0]} for c, v in CASES.items()}, ["lesion"])
    return tmp_path


def test_cli_writes_calibration_location_errors_and_diagram(files, capsys):
    out = files / "out"
    code = main(["evaluate", "--predictions", str(files / "pred" / "classification.csv"),
                 "--labels", str(files / "labels.csv"), "--pred-masks", str(files / "pred"),
                 "--gt-masks", str(files / "gt"), "--bootstrap", "50", "--calibration-bins", "5",
                 "--json", str(out / "metrics.json"), "--errors", str(out / "errors.md"),
                 "--reliability-plot", str(out / "reliability.png")])
    assert code == 0
    printed = capsys.readouterr().out
    d = json.loads((out / "metrics.json").read_text())
    assert format_table(EvaluationResult.from_dict(d)) == printed.rstrip("\n")
    assert "Calibration" in printed and "Findings" in printed

    y = np.array([v[0] for v in CASES.values()])
    p = np.array([v[1] for v in CASES.values()])
    cal = d["classes"]["lesion"]["sources"]["summarizer"]["calibration"]
    assert cal["brier"]["value"] == pytest.approx(brier_score_loss(y, p))
    # 5 bins: [0, .2] {0.2 n, 0.1 n}: gap 0.15; (.2, .4] {0.3 p}: 0.7; (.4, .6] {0.6 n}: 0.6; (.6, .8] {0.7 p}: 0.3;
    # (.8, 1] {0.9 p}: 0.1  ->  (2 * 0.15 + 0.7 + 0.6 + 0.3 + 0.1) / 6
    assert cal["ece"]["value"] == pytest.approx((2 * 0.15 + 0.7 + 0.6 + 0.3 + 0.1) / 6)
    assert [b["n"] for b in cal["bins"]] == [2, 1, 1, 1, 1]

    loc = d["location"]["lesion"]
    assert loc["totals"] == {"n_cases": 6, "n_true_components": 3, "n_found": 2, "n_missed": 1,
                             "component_recall": pytest.approx(2 / 3), "n_false_positive_components": 1,
                             "false_positives_per_case": pytest.approx(1 / 6)}
    (missed,) = loc["per_case"]["missed"]["true_components"]
    assert missed["found"] is False and missed["size_voxels"] == 32
    assert missed["size_mm3"] == pytest.approx(32 * 0.8 * 0.8 * 2.5)
    assert missed["centroid_voxel"] == pytest.approx([4.5, 9.5, 9.5])  # (z, y, x)
    assert missed["centroid_world"] == pytest.approx(_lps((9.5, 9.5, 4.5)))
    (fp,) = loc["per_case"]["fp"]["false_positives"]
    assert (fp["size_voxels"], fp["size_mm3"]) == (12, pytest.approx(12 * 1.6))
    assert fp["centroid_world"] == pytest.approx(_lps((11.0, 1.5, 5.5)))
    assert loc["per_case"]["found"]["true_components"][0]["found"] is True

    errors = (out / "errors.md").read_text()
    assert "## lesion (label ids 1)" in errors and "| missed | 32 | 51.2 | 4.5, 9.5, 9.5 |" in errors
    assert (out / "reliability.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_errors_without_masks_exit_2(files, capsys):
    code = main(["evaluate", "--predictions", str(files / "pred" / "classification.csv"),
                 "--labels", str(files / "labels.csv"), "--errors", str(files / "errors.md")])
    assert code == 2
    assert "--errors needs --pred-masks" in capsys.readouterr().err
    assert not (files / "errors.md").exists()


def test_cli_calibration_bins_must_be_positive(files, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["evaluate", "--predictions", str(files / "pred" / "classification.csv"),
              "--labels", str(files / "labels.csv"), "--calibration-bins", "0"])
    assert stop.value.code == 2 and "integer >= 1" in capsys.readouterr().err
