"""End to end on tiny data: synth -> nnU-Net plan/preprocess -> nnUNetv2_train (our trainers) ->
segcls3d predict -> segcls3d evaluate, checked against scikit-learn and the input geometry."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk
from sklearn.metrics import roc_auc_score

from segcls3d.cli.main import main
from segcls3d.labels import CaseLabels


def _epoch_log(model: Path) -> dict:
    """nnU-Net's per-epoch log as saved in the final checkpoint."""
    import torch

    return torch.load(model / "fold_0" / "checkpoint_final.pth", map_location="cpu", weights_only=False)["logging"]


def _predict(model: Path, images: Path, out: Path, *extra: str) -> int:
    return main(["predict", "-i", str(images), "-o", str(out), "-m", str(model), "--device", "cpu", *extra])


def test_segcls_train_predict_evaluate(tiny_dataset_3d, train_model, tmp_path):
    model = train_model(tiny_dataset_3d, "nnUNetTrainerSegCls_smoke")
    validation = model / "fold_0" / "validation"
    assert (model / "fold_0" / "checkpoint_final.pth").is_file()
    val_rows = pd.read_csv(validation / "classification.csv", dtype={"case_id": str})
    preprocessed = Path(os.environ["nnUNet_preprocessed"]) / tiny_dataset_3d.name
    splits = json.loads((preprocessed / "splits_final.json").read_text())
    assert sorted(val_rows["case_id"]) == sorted(splits[0]["val"])
    summary = json.loads((validation / "summary_classification.json").read_text())
    auroc = summary["classes"]["target"]["sources"]["summarizer"]["auroc"]["value"]
    truth = CaseLabels.from_raw_dataset(tiny_dataset_3d.raw, ["target"]).batch(list(val_rows["case_id"]))[:, 0]
    if len(set(truth)) == 2:  # the AUROC of g over the validation cases, as scikit-learn computes it
        assert auroc == pytest.approx(roc_auc_score(truth, val_rows["target_probability"]))
    else:
        assert auroc is None
    assert not list(validation.glob("*.npz")), "probabilities are only kept with --npz"
    log = _epoch_log(model)  # 2 epochs: nnU-Net's pseudo Dice and our pseudo AUROC, one value each per epoch
    assert len(log["mean_fg_dice"]) == 2 and len(log["val_auroc"]) == 2 and len(log["val_auroc_per_class"]) == 2

    out = tmp_path / "pred"
    assert _predict(model, tiny_dataset_3d.raw / "imagesTs", out) == 0
    csv = pd.read_csv(out / "classification.csv", dtype={"case_id": str})
    test_ids = sorted(p.name[: -len("_0000.nii.gz")] for p in (tiny_dataset_3d.raw / "imagesTs").glob("*_0000.nii.gz"))
    assert sorted(csv["case_id"]) == test_ids
    for column in ("target_probability", "target_label", "target_volume_mm3", "target_components"):
        assert column in csv.columns
    assert csv["target_probability"].between(0, 1).all()
    # masks keep the input geometry
    for case in test_ids[:3]:
        image = sitk.ReadImage(str(tiny_dataset_3d.raw / "imagesTs" / f"{case}_0000.nii.gz"))
        mask = sitk.ReadImage(str(out / f"{case}.nii.gz"))
        assert mask.GetSize() == image.GetSize()
        assert np.allclose(mask.GetSpacing(), image.GetSpacing())
        assert np.allclose(mask.GetOrigin(), image.GetOrigin())
        assert np.allclose(mask.GetDirection(), image.GetDirection())
        # the reported volume is the mask's voxel count times the voxel volume
        voxels = int((sitk.GetArrayFromImage(mask) == 1).sum())
        row = csv.set_index("case_id").loc[case]
        assert row["target_volume_mm3"] == pytest.approx(voxels * np.prod(image.GetSpacing()))

    report = tmp_path / "metrics.json"
    code = main(["evaluate", "--predictions", str(out / "classification.csv"),
                 "--labels", str(tiny_dataset_3d.raw / "classification_labels.csv"),
                 "--pred-masks", str(out), "--gt-masks", str(tiny_dataset_3d.raw / "labelsTs"),
                 "--json", str(report), "--plot", str(tmp_path / "roc.png"), "--bootstrap", "200"])
    assert code == 0
    result = json.loads(report.read_text())
    labels = CaseLabels.from_raw_dataset(tiny_dataset_3d.raw)
    y = np.array([labels[c][0] for c in csv["case_id"]])
    auroc = result["classes"]["target"]["sources"]["summarizer"]["auroc"]["value"]
    if len(set(y)) == 2:
        assert auroc == pytest.approx(roc_auc_score(y, csv["target_probability"]))
    assert (tmp_path / "roc.png").stat().st_size > 1000


def test_multitask_head_and_stock_nnunet_predict(tiny_dataset_3d, train_model, tmp_path):
    model = train_model(tiny_dataset_3d, "nnUNetTrainerMultitask_smoke")
    out = tmp_path / "ours"
    assert _predict(model, tiny_dataset_3d.raw / "imagesTs", out) == 0
    csv = pd.read_csv(out / "classification.csv", dtype={"case_id": str})
    assert csv["target_head_probability"].between(0, 1).all()
    assert set(csv["target_head_label"]) <= {0, 1}
    val = pd.read_csv(model / "fold_0" / "validation" / "classification.csv")
    assert val["target_head_probability"].between(0, 1).all() and len(val) > 0
    log = _epoch_log(model)
    assert len(log["val_head_auroc"]) == 2 and len(log["val_auroc"]) == 2 and len(log["mean_fg_dice"]) == 2

    # stock nnUNetv2_predict still works on the multitask model and gives the same masks
    stock = tmp_path / "stock"
    exe = Path(sys.executable).with_name("nnUNetv2_predict")
    subprocess.run([str(exe), "-i", str(tiny_dataset_3d.raw / "imagesTs"), "-o", str(stock),
                    "-d", str(tiny_dataset_3d.dataset_id), "-c", tiny_dataset_3d.configuration,
                    "-tr", "nnUNetTrainerMultitask_smoke", "-p", tiny_dataset_3d.plans, "-f", "0",
                    "-device", "cpu", "-npp", "1", "-nps", "1"], check=True, capture_output=True, env=dict(os.environ))
    for case in csv["case_id"]:
        ours = sitk.GetArrayFromImage(sitk.ReadImage(str(out / f"{case}.nii.gz")))
        theirs = sitk.GetArrayFromImage(sitk.ReadImage(str(stock / f"{case}.nii.gz")))
        assert np.array_equal(ours, theirs), case


def test_classifier_baseline(tiny_dataset_3d, train_model, tmp_path):
    model = train_model(tiny_dataset_3d, "nnUNetTrainerCls_smoke")
    out = tmp_path / "cls"
    assert _predict(model, tiny_dataset_3d.raw / "imagesTs", out) == 0
    csv = pd.read_csv(out / "classification.csv", dtype={"case_id": str})
    assert list(csv.columns) == ["case_id", "target_head_probability", "target_head_label"]
    assert len(csv) == 8
    assert not list(out.glob("*.nii.gz")), "a classifier writes no masks"
    # the classifier logs AUROC under its own names and never fills nnU-Net's Dice keys
    log = _epoch_log(model)
    assert log["mean_fg_dice"] == [] and log["dice_per_class_or_region"] == []
    assert len(log["val_auroc"]) == 2 and len(log["ema_val_auroc"]) == 2
    first, second = log["val_auroc"]
    if not (np.isnan(first) or np.isnan(second)):
        assert log["ema_val_auroc"][1] == pytest.approx(0.9 * first + 0.1 * second)
    assert (model / "fold_0" / "progress.png").is_file()
    code = main(["evaluate", "--predictions", str(out / "classification.csv"),
                 "--labels", str(tiny_dataset_3d.raw / "classification_labels.csv"), "--bootstrap", "100",
                 "--json", str(tmp_path / "m.json")])
    assert code == 0
    head = json.loads((tmp_path / "m.json").read_text())["classes"]["target"]["sources"]["head"]
    truth = CaseLabels.from_raw_dataset(tiny_dataset_3d.raw, ["target"]).batch(list(csv["case_id"]))[:, 0]
    assert head["auroc"]["value"] == pytest.approx(roc_auc_score(truth, csv["target_head_probability"]))


def test_model_of_plain_nnunet_trainer(tiny_dataset_3d, train_model, tmp_path):
    """A model whose checkpoint says plain `nnUNetTrainer` is summarized with the rule-based g."""
    import shutil

    import torch

    source = train_model(tiny_dataset_3d, "nnUNetTrainerSegCls_smoke")
    plain = tmp_path / "nnUNetTrainer__plans__3d_fullres"
    shutil.copytree(source, plain, ignore=shutil.ignore_patterns("validation"))
    ckpt_path = plain / "fold_0" / "checkpoint_final.pth"
    ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=False)
    ckpt["trainer_name"] = "nnUNetTrainer"
    torch.save(ckpt, ckpt_path)
    out = tmp_path / "plain"
    assert _predict(plain, tiny_dataset_3d.raw / "imagesTs", out, "--tau", "5", "--score", "max") == 0
    csv = pd.read_csv(out / "classification.csv", dtype={"case_id": str})
    assert len(csv) == 8 and "target_head_probability" not in csv.columns
    classes = json.loads((out / "classes.json").read_text())
    assert classes["kind"] == "segmentation" and classes["summarizer"]["score"] == "max"


def test_predict_reports_bad_cases_and_finishes_the_others(tiny_dataset_3d, train_model, tmp_path, capsys):
    import shutil

    model = train_model(tiny_dataset_3d, "nnUNetTrainerSegCls_smoke")
    images = tmp_path / "images"
    shutil.copytree(tiny_dataset_3d.raw / "imagesTs", images)
    (images / "broken_0000.nii.gz").write_bytes(b"this is not a nifti file")
    (images / "nochannel_0001.nii.gz").write_bytes(b"")
    out = tmp_path / "pred"
    assert _predict(model, images, out) == 1
    err = capsys.readouterr().err
    assert "broken" in err and "nochannel" in err
    csv = pd.read_csv(out / "classification.csv", dtype={"case_id": str})
    assert len(csv) == 8 and "broken" not in set(csv["case_id"])
    assert not [p for p in out.iterdir() if p.name.startswith(".tmp_")]


def test_2d_single_slice_dataset(tiny_dataset_2d, train_model, tmp_path):
    for trainer in ("nnUNetTrainerSegCls_smoke", "nnUNetTrainerCls_smoke"):
        model = train_model(tiny_dataset_2d, trainer)
        out = tmp_path / trainer
        assert _predict(model, tiny_dataset_2d.raw / "imagesTs", out) == 0
        csv = pd.read_csv(out / "classification.csv", dtype={"case_id": str})
        assert len(csv) == 8
    preprocessed = Path(os.environ["nnUNet_preprocessed"]) / tiny_dataset_2d.name
    plans = json.loads((preprocessed / f"{tiny_dataset_2d.plans}.json").read_text())
    assert len(plans["configurations"]["2d"]["patch_size"]) == 2


def test_training_stops_with_a_clear_message_on_bad_labels(tiny_dataset_3d, nnunet_paths, tmp_path):
    """A typo in classification_labels.csv stops nnUNetv2_train with one line naming file and case."""
    import shutil

    from segcls3d.errors import SegCls3dError
    from segcls3d.pipeline import train

    csv = tiny_dataset_3d.raw / "classification_labels.csv"
    backup = tmp_path / "labels.csv"
    shutil.copyfile(csv, backup)
    lines = csv.read_text().splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0] + ",2"
    csv.write_text("\n".join(lines) + "\n")
    log = tmp_path / "train.log"
    try:
        with pytest.raises(SegCls3dError):
            train(tiny_dataset_3d.dataset_id, tiny_dataset_3d.configuration, 1, "nnUNetTrainerSegCls_smoke",
                  tiny_dataset_3d.plans, "cpu", log_file=log)
    finally:
        shutil.copyfile(backup, csv)
    text = log.read_text()
    case = lines[1].split(",")[0]
    assert f"case '{case}'" in text and "classification_labels.csv" in text and "'2'" in text
    assert "Traceback" not in text
