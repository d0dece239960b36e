"""Checkpoints trained before the trainer redesign still load and predict the same masks and probabilities.

tests/data/old_checkpoints/ holds three tiny 3D models (SegCls, Cls and Multitask, ``_smoke``
schedule, cpu_tiny plans, fold 0) trained by the code before the redesign (commit 4a8ee3f), the
four test images, and what that code's ``segcls3d predict --save-probabilities`` wrote for them.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from segcls3d.cli.main import main

DATA = Path(__file__).resolve().parents[1] / "data" / "old_checkpoints"
PLANS = "nnUNetPlans_cpu_tiny__3d_fullres"


@pytest.mark.parametrize("trainer", ["nnUNetTrainerSegCls_smoke", "nnUNetTrainerCls_smoke",
                                     "nnUNetTrainerMultitask_smoke"])
def test_old_checkpoint_predicts_as_before(trainer, tmp_path):
    expected = DATA / "predictions" / trainer
    out = tmp_path / "pred"
    model = DATA / "models" / f"{trainer}__{PLANS}"
    code = main(["predict", "-i", str(DATA / "imagesTs"), "-o", str(out), "-m", str(model), "-f", "0",
                 "--device", "cpu", "--save-probabilities"])
    assert code == 0
    before = pd.read_csv(expected / "classification.csv", dtype={"case_id": str}).set_index("case_id")
    after = pd.read_csv(out / "classification.csv", dtype={"case_id": str}).set_index("case_id")
    assert list(after.columns) == list(before.columns) and list(after.index) == list(before.index)
    numeric = before.select_dtypes("number").columns
    np.testing.assert_allclose(after[numeric].to_numpy(float), before[numeric].to_numpy(float), atol=1e-5,
                               equal_nan=True)
    for column in before.columns.difference(numeric):
        assert after[column].fillna("").tolist() == before[column].fillna("").tolist(), column
    masks = sorted(expected.glob("*.nii.gz"))
    assert len(masks) == (0 if trainer.startswith("nnUNetTrainerCls") else 4)
    for mask in masks:
        old = sitk.GetArrayFromImage(sitk.ReadImage(str(mask)))
        new = sitk.GetArrayFromImage(sitk.ReadImage(str(out / mask.name)))
        assert np.array_equal(new, old), mask.name
        old_p = np.load(mask.with_name(mask.name.replace(".nii.gz", ".npz")))["probabilities"]
        new_p = np.load(out / mask.name.replace(".nii.gz", ".npz"))["probabilities"]
        np.testing.assert_allclose(new_p.astype(float), old_p.astype(float), atol=1e-3)
