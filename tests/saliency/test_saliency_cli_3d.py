"""`segcls3d saliency` on the committed 3D models of all three kinds (Cls, SegCls, Multitask; no training needed):
maps on the input grid, the classifier's score is the logit whose sigmoid predict reports, reruns resume, other
settings are refused."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from segcls3d.cli.main import main

DATA = Path(__file__).resolve().parents[1] / "data" / "old_checkpoints"
IMAGES = DATA / "imagesTs"
CASES = sorted(p.name[:-len("_0000.nii.gz")] for p in IMAGES.glob("*_0000.nii.gz"))


def _model(kind: str) -> Path:
    return DATA / "models" / f"nnUNetTrainer{kind}_smoke__nnUNetPlans_cpu_tiny__3d_fullres"


@pytest.fixture(autouse=True)
def _no_compile(monkeypatch):
    monkeypatch.setenv("nnUNet_compile", "false")


@pytest.mark.parametrize("kind, method", [("Cls", "gradcam"), ("SegCls", "gradcampp"), ("Multitask", "input_gradient")])
def test_maps_on_the_input_grid(kind, method, tmp_path):
    out = tmp_path / "maps"
    args = ["saliency", "-i", str(IMAGES), "-o", str(out), "-m", str(_model(kind)), "--device", "cpu",
            "--method", method]
    assert main(args) == 0
    table = pd.read_csv(out / "saliency.csv", dtype={"case_id": str}).set_index("case_id")
    assert sorted(table.index) == CASES and list(table.columns) == ["target_score", "target_peak"]
    for case in CASES:
        image = sitk.ReadImage(str(IMAGES / f"{case}_0000.nii.gz"))
        saliency = sitk.ReadImage(str(out / "target" / f"{case}.nii.gz"))
        assert (saliency.GetSize(), saliency.GetSpacing(), saliency.GetOrigin(), saliency.GetDirection()) == \
            (image.GetSize(), image.GetSpacing(), image.GetOrigin(), image.GetDirection())
        array = sitk.GetArrayFromImage(saliency)
        assert array.min() >= 0 and array.max() > 0
        assert array.max() == pytest.approx(table.loc[case, "target_peak"], rel=1e-5)
    stamp = {p: p.stat().st_mtime_ns for p in (out / "target").iterdir()}
    assert main(args) == 0  # a rerun resumes: no map is written again
    assert {p: p.stat().st_mtime_ns for p in (out / "target").iterdir()} == stamp
    assert main(args[:-1] + ["gradcam" if method != "gradcam" else "gradcampp"]) == 2  # other settings: refused


def test_classifier_score_is_the_logit_predict_reports(tmp_path):
    out = tmp_path / "maps"
    assert main(["saliency", "-i", str(IMAGES), "-o", str(out), "-m", str(_model("Cls")), "--device", "cpu"]) == 0
    assert main(["predict", "-i", str(IMAGES), "-o", str(tmp_path / "pred"), "-m", str(_model("Cls")), "--device",
                 "cpu", "--disable-tta"]) == 0
    scores = pd.read_csv(out / "saliency.csv", dtype={"case_id": str}).set_index("case_id")["target_score"]
    predicted = pd.read_csv(tmp_path / "pred" / "classification.csv", dtype={"case_id": str}).set_index("case_id")
    column = next(c for c in predicted.columns if c.startswith("target") and c.endswith("probability"))
    np.testing.assert_allclose(1 / (1 + np.exp(-scores.loc[CASES])), predicted.loc[CASES, column], atol=1e-5)
