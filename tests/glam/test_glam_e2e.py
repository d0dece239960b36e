"""End to end on the tiny datasets: nnUNetv2_train -tr nnUNetTrainerGLAM_smoke (one epoch per stage) on the 2D
images with class labels only (and on the 3D dataset), the stages seen in the weights, resuming inside a stage
with --c, stock nnUNetv2_predict, segcls3d predict (masks = maps thresholded at 0.5, image probabilities),
evaluate's PxAP, and pseudolabel glam -> SegCls: from labels only to a classifier with masks."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk
import torch
from sklearn.metrics import average_precision_score

from segcls3d.cli.main import main
from segcls3d.labels import CaseLabels
from segcls3d.model.checkpoint import read_checkpoint

TRAINER = "nnUNetTrainerGLAM_smoke"


def _array(path: Path) -> np.ndarray:
    return sitk.GetArrayFromImage(sitk.ReadImage(str(path)))


def _weights(path: Path) -> dict[str, torch.Tensor]:
    return read_checkpoint(path)["network_weights"]


def _same(a: dict, b: dict, prefix: str) -> bool:
    keys = [k for k in a if k.startswith(prefix) and a[k].is_floating_point()]
    assert keys, prefix
    return all(torch.equal(a[k], b[k]) for k in keys)


def _labels_only(raw: Path, out: Path) -> Path:
    """Copy of ``raw`` without any training mask: class labels only."""
    for sub in ("imagesTr", "imagesTs", "labelsTs"):
        shutil.copytree(raw / sub, out / sub)
    for name in ("dataset.json", "classification_labels.csv"):
        shutil.copyfile(raw / name, out / name)
    return out


@pytest.fixture(scope="module")
def labels_only_2d(tiny_dataset_2d, nnunet_paths, tmp_path_factory):
    """The tiny 2D images with class labels only, made trainable by nnU-Net with `segcls3d pseudolabel partial`
    (negatives: empty masks, positives: nnU-Net's ignore label everywhere); planned and preprocessed."""
    from segcls3d.pipeline import plan_and_preprocess
    from segcls3d.plans import write_preset_plans

    source = _labels_only(tiny_dataset_2d.raw, tmp_path_factory.mktemp("glam") / "labels_only")
    name = "Dataset978_GlamLabelsOnly2D"
    assert main(["pseudolabel", "partial", "--raw", str(source), "-o", str(nnunet_paths.raw / name),
                 "--positives", "ignore"]) == 0
    plan_and_preprocess(978, ("2d",), num_processes=1, verify=False)
    plans = write_preset_plans(name, "cpu_tiny").stem
    return type(tiny_dataset_2d)(978, name, nnunet_paths.raw / name, plans, "2d"), source


@pytest.fixture(scope="module")
def glam_2d(labels_only_2d, train_model) -> Path:
    return train_model(labels_only_2d[0], TRAINER)


def test_each_stage_trains_its_modules_and_saves_a_snapshot(glam_2d):
    fold = glam_2d / "fold_0"
    global_, local, final = (_weights(fold / f) for f in ("checkpoint_glam_global.pth", "checkpoint_glam_local.pth",
                                                           "checkpoint_final.pth"))
    assert [int(w["glam_stage"]) for w in (global_, local, final)] == [0, 1, 2]
    # local stage: global module frozen, local module trained, fusion untouched (only the joint stage uses it)
    assert _same(global_, local, "global_module.") and not _same(global_, local, "local_module.encoder.")
    assert _same(global_, local, "fusion.")
    # joint stage: everything trains
    assert not _same(local, final, "global_module.") and not _same(local, final, "local_module.encoder.")
    assert not _same(local, final, "fusion.")
    assert read_checkpoint(fold / "checkpoint_glam_local.pth")["current_epoch"] == 2  # resumes at the joint stage
    log = next(fold.glob("training_log_*.txt")).read_text()
    assert "GLAM stage 'local' starts" in log and "GLAM stage 'joint' starts" in log
    rows = pd.read_csv(fold / "validation" / "classification.csv")
    assert rows["target_head_probability"].between(0, 1).all()


def test_training_resumes_inside_a_stage(glam_2d, labels_only_2d, tmp_path):
    dataset = labels_only_2d[0]
    results = tmp_path / "results"
    copy = results / dataset.name / glam_2d.name
    shutil.copytree(glam_2d, copy)
    fold = copy / "fold_0"
    (fold / "checkpoint_final.pth").unlink()
    shutil.copyfile(fold / "checkpoint_glam_local.pth", fold / "checkpoint_latest.pth")
    for log in fold.glob("training_log_*.txt"):
        log.unlink()
    env = dict(os.environ, nnUNet_results=str(results))
    exe = Path(sys.executable).with_name("nnUNetv2_train")
    subprocess.run([str(exe), str(dataset.dataset_id), dataset.configuration, "0", "-tr", TRAINER,
                    "-p", dataset.plans, "-device", "cpu", "--c"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = next(fold.glob("training_log_*.txt")).read_text()
    assert "Epoch 2" in log and "Epoch 0" not in log and "Epoch 1" not in log
    final = read_checkpoint(fold / "checkpoint_final.pth")
    assert final["current_epoch"] == 3 and int(final["network_weights"]["glam_stage"]) == 2


def test_predict_writes_probabilities_maps_and_masks_like_stock_nnunet(glam_2d, labels_only_2d, tiny_dataset_2d,
                                                                      tmp_path):
    dataset = labels_only_2d[0]
    images = tiny_dataset_2d.raw / "imagesTs"
    stock = tmp_path / "stock"
    exe = Path(sys.executable).with_name("nnUNetv2_predict")
    subprocess.run([str(exe), "-i", str(images), "-o", str(stock), "-d", str(dataset.dataset_id), "-c",
                    dataset.configuration, "-tr", TRAINER, "-p", dataset.plans, "-f", "0",
                    "-device", "cpu", "--disable_tta", "-npp", "1", "-nps", "1"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = tmp_path / "ours"
    assert main(["predict", "-i", str(images), "-o", str(out), "-m", str(glam_2d), "--device", "cpu",
                 "--disable-tta", "--overlays"]) == 0
    table = pd.read_csv(out / "classification.csv", dtype={"case_id": str})
    cases = sorted(p.name[:-12] for p in images.glob("*_0000.nii.gz"))
    assert sorted(table["case_id"]) == cases and table["target_head_probability"].between(0, 1).all()
    assert all((out / "overlays" / f"{case}.png").is_file() for case in cases)
    for case in cases:
        mask, saliency = _array(out / f"{case}.nii.gz"), _array(out / "saliency" / "target" / f"{case}.nii.gz")
        np.testing.assert_array_equal(mask, _array(stock / f"{case}.nii.gz"))  # stock nnU-Net, same mask
        assert saliency.shape == mask.shape and 0 <= saliency.min() and saliency.max() <= 1
        np.testing.assert_array_equal(mask == 1, saliency > 0.5)  # the mask is the map thresholded at 0.5

    report = tmp_path / "eval.json"
    gt = tiny_dataset_2d.raw / "labelsTs"
    assert main(["evaluate", "--predictions", str(out / "classification.csv"), "--labels",
                 str(tiny_dataset_2d.raw / "classification_labels.csv"), "--pred-masks", str(out), "--gt-masks",
                 str(gt), "--saliency", str(out / "saliency"), "--bootstrap", "0", "--json", str(report)]) == 0
    pxap = json.loads(report.read_text())["saliency_pxap"]["target"]
    positives = [c for c in cases if (_array(gt / f"{c}.nii.gz") == 1).any()]
    assert pxap["n_images"] == len(positives) > 0
    for case in positives:
        truth = _array(gt / f"{case}.nii.gz").ravel() == 1
        expected = average_precision_score(truth, _array(out / "saliency" / "target" / f"{case}.nii.gz").ravel())
        assert pxap["per_case"][case] == pytest.approx(expected)


def test_pseudolabel_glam_then_segcls(glam_2d, labels_only_2d, tiny_dataset_2d, nnunet_paths, train_model,
                                      tmp_path):
    from segcls3d.pipeline import plan_and_preprocess
    from segcls3d.plans import write_preset_plans

    source = labels_only_2d[1]
    name = "Dataset977_GlamMasks2D"
    out = nnunet_paths.raw / name
    threshold = 0.3
    assert main(["pseudolabel", "glam", "--teacher", str(glam_2d), "--raw", str(source), "-o", str(out),
                 "--device", "cpu", "--disable-tta", "--threshold", str(threshold)]) == 0
    pred = tmp_path / "pred"  # the teacher's maps of the same images, from segcls3d predict
    assert main(["predict", "-i", str(source / "imagesTr"), "-o", str(pred), "-m", str(glam_2d), "--device", "cpu",
                 "--disable-tta"]) == 0
    truth = CaseLabels.from_raw_dataset(tiny_dataset_2d.raw)
    log = pd.read_csv(out / "pseudolabel_log.csv", dtype={"case_id": str}).set_index("case_id")
    assert len(log) == 16 and (log["mode"] == "glam").all()
    for case, row in log.iterrows():
        above = int((_array(pred / "saliency" / "target" / f"{case}.nii.gz") > threshold).sum())
        mask_file = out / "labelsTr" / f"{case}.nii.gz"
        if truth[case][0] == 0:
            assert row["action"] == "zeroed" and not _array(mask_file).any()
        elif above == 0:
            assert row["action"] == "excluded" and not mask_file.exists()
        else:
            assert row["action"] == "pseudo_mask" and row["voxels"] == int((_array(mask_file) == 1).sum())
            assert abs(row["voxels"] - above) <= 2  # the same map, exported once more (float rounding at the edge)
    assert main(["pseudolabel", "glam", "--teacher", str(glam_2d), "--raw", str(source), "-o", str(out),
                 "--device", "cpu", "--disable-tta", "--threshold", str(threshold)]) == 0  # resumes: nothing to do
    plan_and_preprocess(977, ("2d",), num_processes=1, verify=False)
    plans = write_preset_plans(name, "cpu_tiny").stem
    model = train_model(type(tiny_dataset_2d)(977, name, out, plans, "2d"), "nnUNetTrainerSegCls_smoke")
    csv = tmp_path / "segcls"
    assert main(["predict", "-i", str(out / "imagesTs"), "-o", str(csv), "-m", str(model), "--device", "cpu",
                 "--disable-tta"]) == 0
    assert len(pd.read_csv(csv / "classification.csv")) == 8


def test_glam_in_3d(tiny_dataset_3d, train_model, tmp_path):
    model = train_model(tiny_dataset_3d, TRAINER)
    assert (model / "fold_0" / "checkpoint_glam_local.pth").is_file()
    out = tmp_path / "pred"
    assert main(["predict", "-i", str(tiny_dataset_3d.raw / "imagesTs"), "-o", str(out), "-m", str(model),
                 "--device", "cpu", "--disable-tta"]) == 0
    table = pd.read_csv(out / "classification.csv", dtype={"case_id": str})
    assert len(table) == 8 and table["target_head_probability"].between(0, 1).all()
    case = table["case_id"][0]
    saliency = _array(out / "saliency" / "target" / f"{case}.nii.gz")
    assert saliency.shape == (24, 24, 24)
    np.testing.assert_array_equal(_array(out / f"{case}.nii.gz") == 1, saliency > 0.5)
