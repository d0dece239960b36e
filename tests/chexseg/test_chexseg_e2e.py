"""End to end on the tiny 2D dataset, 4 of 16 training masks kept (the expert cases):
nnUNetTrainerCls_smoke -> segcls3d saliency -> segcls3d pseudolabel cam -> nnU-Net plan/preprocess ->
segcls3d transfer (the classifier's encoder) -> nnUNetv2_train -tr nnUNetTrainerCheXseg_smoke -pretrained_weights
-> segcls3d predict -> segcls3d evaluate (masks and thresholded saliency maps)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk
import torch
from chexseg_support import expert_source

from segcls3d.cli.main import main
from segcls3d.labels import CaseLabels
from segcls3d.metrics.overlap import compute_overlap
from segcls3d.model.checkpoint import read_checkpoint
from segcls3d.model.saliency.threshold import binarize

DATASET_ID, NAME = 960, "Dataset960_CheXseg2D"


def _read(path):
    return sitk.ReadImage(str(path))


@pytest.fixture(scope="module")
def classifier_2d(tiny_dataset_2d, train_model):
    return train_model(tiny_dataset_2d, "nnUNetTrainerCls_smoke")


def test_saliency_maps_on_the_input_grid(tiny_dataset_2d, classifier_2d, tmp_path):
    out = tmp_path / "maps"
    images = tiny_dataset_2d.raw / "imagesTs"
    assert main(["saliency", "-i", str(images), "-o", str(out), "-m", str(classifier_2d), "--device", "cpu",
                 "--method", "gradcampp"]) == 0
    table = pd.read_csv(out / "saliency.csv", dtype={"case_id": str}).set_index("case_id")
    cases = sorted(p.name[:-len("_0000.nii.gz")] for p in images.glob("*_0000.nii.gz"))
    assert sorted(table.index) == cases
    for case in cases:
        image, saliency = _read(images / f"{case}_0000.nii.gz"), _read(out / "target" / f"{case}.nii.gz")
        assert saliency.GetSize() == image.GetSize() and saliency.GetSpacing() == image.GetSpacing()
        assert saliency.GetOrigin() == image.GetOrigin() and saliency.GetDirection() == image.GetDirection()
        array = sitk.GetArrayFromImage(saliency)
        assert array.min() >= 0 and array.max() == pytest.approx(table.loc[case, "target_peak"], rel=1e-5)
    assert main(["saliency", "-i", str(images), "-o", str(out), "-m", str(classifier_2d), "--device", "cpu",
                 "--method", "gradcampp"]) == 0  # resumes: nothing left to do
    records = sorted((out / ".saliency_records").glob("*.json"))
    assert len(records) == len(cases)
    assert main(["saliency", "-i", str(images), "-o", str(out), "-m", str(classifier_2d), "--device", "cpu"]) == 2


def test_classifier_to_weak_masks_to_chexseg_training_and_prediction(tiny_dataset_2d, classifier_2d, nnunet_paths,
                                                                    train_model, tmp_path):
    from segcls3d.pipeline import plan_and_preprocess
    from segcls3d.plans import write_preset_plans

    source, expert = expert_source(tiny_dataset_2d.raw, tmp_path / "source", n_positive=2, n_negative=2)
    out = nnunet_paths.raw / NAME
    assert main(["pseudolabel", "cam", "--classifier", str(classifier_2d), "--raw", str(source), "-o", str(out),
                 "--device", "cpu"]) == 0
    truth = CaseLabels.from_raw_dataset(tiny_dataset_2d.raw)
    log = pd.read_csv(out / "pseudolabel_log.csv", dtype={"case_id": str}).set_index("case_id")
    assert len(log) == 16 and (log["mode"] == "cam").all()
    assert sorted(log.index[log["action"] == "expert"]) == expert
    for case, row in log.drop(index=expert).iterrows():
        mask_file = out / "labelsTr" / f"{case}.nii.gz"
        if truth[case][0] == 0:
            assert row["action"] == "background" and not sitk.GetArrayFromImage(_read(mask_file)).any()
        elif row["action"] == "excluded":
            assert not mask_file.exists() and not (out / "imagesTr" / f"{case}_0000.nii.gz").exists()
        else:
            assert row["action"] == "weak_mask"
            mask = sitk.GetArrayFromImage(_read(mask_file))
            assert row["voxels"] == int((mask == 1).sum()) > 0
            assert _read(mask_file).GetSpacing() == _read(out / "imagesTr" / f"{case}_0000.nii.gz").GetSpacing()
    thresholds = json.loads((out / "cam_thresholds.json").read_text())
    threshold = thresholds["classes"]["target"]["threshold"]
    assert thresholds["classes"]["target"]["method"] == "max_iou" and thresholds["classes"]["target"]["n_cases"] == 2
    weak_case = next(c for c, r in log.iterrows() if r["action"] == "weak_mask")  # weak mask = thresholded map
    saliency = sitk.GetArrayFromImage(_read(out / "saliencyTr" / "target" / f"{weak_case}.nii.gz"))
    np.testing.assert_array_equal(sitk.GetArrayFromImage(_read(out / "labelsTr" / f"{weak_case}.nii.gz")) == 1,
                                  binarize(saliency, threshold))
    block = json.loads((out / "dataset.json").read_text())["segcls3d"]["cam"]
    assert block["expert_cases"] == expert
    assert block["weak_cases"] == sorted(log.index[log["action"].isin(["weak_mask", "background"])])
    assert main(["pseudolabel", "cam", "--classifier", str(classifier_2d), "--raw", str(source), "-o", str(out),
                 "--device", "cpu"]) == 0  # resumes
    assert pd.read_csv(out / "pseudolabel_log.csv", dtype={"case_id": str}).set_index("case_id").equals(log)

    plan_and_preprocess(DATASET_ID, ("2d",), num_processes=1, verify=False)
    plans = write_preset_plans(NAME, "cpu_tiny").stem
    init = tmp_path / "init_from_classifier.pth"
    cls_checkpoint = classifier_2d / "fold_0" / "checkpoint_final.pth"
    assert main(["transfer", "--encoder-from", str(cls_checkpoint), "-d", str(DATASET_ID), "-c", "2d", "-p", plans,
                 "-tr", "nnUNetTrainerCheXseg_smoke", "-o", str(init)]) == 0
    start = torch.load(init, weights_only=True)["network_weights"]
    encoder = {k: v for k, v in read_checkpoint(cls_checkpoint)["network_weights"].items() if k.startswith("encoder.")}
    assert all(torch.equal(start[k], v) for k, v in encoder.items())  # the classifier's encoder is the start

    dataset = type(tiny_dataset_2d)(DATASET_ID, NAME, out, plans, "2d")
    model = train_model(dataset, "nnUNetTrainerCheXseg_smoke", ("-pretrained_weights", str(init)))
    training_log = (nnunet_paths.results / f"{NAME}_nnUNetTrainerCheXseg_smoke.log").read_text()
    assert f"Loading pretrained weights from file  {init}" in training_log  # nnU-Net's own loader took the file
    fold = json.loads((nnunet_paths.preprocessed / NAME / "splits_final.json").read_text())[0]
    val_expert = [c for c in fold["val"] if c in expert]
    weak_train = [c for c in fold["train"] + (fold["val"] if val_expert else []) if c not in expert]
    n_expert = len([c for c in fold["train"] if c in expert])  # weak cases of the validation fold train too
    assert f"segcls3d CheXseg: p = 0.9; {n_expert} expert and {len(weak_train)} weak training case(s)" in training_log
    assert (model / "fold_0" / "checkpoint_final.pth").is_file()

    preds = tmp_path / "pred"
    assert main(["predict", "-i", str(out / "imagesTs"), "-o", str(preds), "-m", str(model), "--device", "cpu",
                 "--disable-tta"]) == 0
    csv = pd.read_csv(preds / "classification.csv", dtype={"case_id": str})
    assert len(csv) == 8 and csv["target_probability"].between(0, 1).all()

    maps = tmp_path / "test_maps"
    assert main(["saliency", "-i", str(out / "imagesTs"), "-o", str(maps), "-m", str(classifier_2d), "--device",
                 "cpu"]) == 0
    result_file = tmp_path / "eval.json"
    assert main(["evaluate", "--predictions", str(preds / "classification.csv"), "--labels",
                 str(out / "classification_labels.csv"), "--pred-masks", str(preds), "--gt-masks",
                 str(out / "labelsTs"), "--saliency", str(maps), "--saliency-thresholds",
                 str(out / "cam_thresholds.json"), "--bootstrap", "0", "--json", str(result_file)]) == 0
    summary = json.loads(result_file.read_text())["overlap_summary"]
    masks = json.loads(result_file.read_text())["classes"]["target"]["masks"]
    assert summary["masks"]["miou"] == pytest.approx(masks["iou_mean"])  # one class: mIoU is its IoU
    ious = []  # the saliency IoU by hand: every test case with foreground in the map or the reference
    for case in csv["case_id"]:
        saliency = sitk.GetArrayFromImage(_read(maps / "target" / f"{case}.nii.gz"))
        reference = sitk.GetArrayFromImage(_read(out / "labelsTs" / f"{case}.nii.gz")) == 1
        overlap = compute_overlap(binarize(saliency, threshold).reshape(reference.shape), reference)
        if not overlap.both_empty:
            ious.append(overlap.iou)
    assert summary["saliency"]["miou"] == pytest.approx(np.mean(ious))
