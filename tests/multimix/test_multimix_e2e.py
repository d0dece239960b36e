"""MultiMix end to end on the tiny 2D dataset split into disjoint sources.

Sources (16 training cases, sorted): 3 with a mask only, 3 with mask and class label, 5 with a class
label only, 5 with neither. ``segcls3d pseudolabel partial --positives ignore --negatives ignore``
writes the dataset, nnU-Net plans and preprocesses it (cpu_tiny plans), the real ``nnUNetv2_train``
trains ``nnUNetTrainerMultiMix_smoke`` (final validation included), then stock ``nnUNetv2_predict``
and ``segcls3d predict --bridge-saliency --overlays`` predict the test images.
"""
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
import torch

from segcls3d.cli.main import main
from segcls3d.labels import CaseLabels

DATASET_ID = 965
NAME = f"Dataset{DATASET_ID:03d}_MultiMix2D"
TRAINER = "nnUNetTrainerMultiMix_smoke"


def _sources(case_ids: list[str]) -> dict[str, tuple[bool, bool]]:
    """case -> (has mask, has class label)."""
    cases = sorted(case_ids)
    return {c: (i < 6, 3 <= i < 11) for i, c in enumerate(cases)}


@pytest.fixture(scope="module")
def multimix_dataset(tiny_dataset_2d, nnunet_paths, tmp_path_factory):
    from segcls3d.pipeline import plan_and_preprocess
    from segcls3d.plans import write_preset_plans
    from segcls3d.pseudolabels.label_subset import write_partial_source

    truth = CaseLabels.from_raw_dataset(tiny_dataset_2d.raw)
    train_ids = sorted(p.name[:-len("_0000.nii.gz")] for p in (tiny_dataset_2d.raw / "imagesTr").iterdir())
    sources = _sources(train_ids)
    labels = {c: {truth.classes[0]: float(truth[c][0]) if has_label else None}
              for c, (_, has_label) in sources.items()}
    labels.update({c: {truth.classes[0]: float(truth[c][0])} for c in truth.case_ids if c not in sources})
    source = write_partial_source(tiny_dataset_2d.raw, tmp_path_factory.mktemp("mm") / "source",
                                  [c for c, (mask, _) in sources.items() if mask], labels, truth.classes)
    out = nnunet_paths.raw / NAME
    assert main(["pseudolabel", "partial", "--raw", str(source), "-o", str(out), "--positives", "ignore",
                 "--negatives", "ignore"]) == 0
    plan_and_preprocess(DATASET_ID, ("2d",), num_processes=1, verify=False)
    plans = write_preset_plans(NAME, "cpu_tiny").stem
    return type(tiny_dataset_2d)(DATASET_ID, NAME, out, plans, "2d"), sources, truth


def test_partial_dataset_has_the_four_sources(multimix_dataset):
    dataset, sources, truth = multimix_dataset
    out = dataset.raw
    log = pd.read_csv(out / "pseudolabel_log.csv", dtype={"case_id": str}).set_index("case_id")
    ignore = json.loads((out / "dataset.json").read_text())["labels"]["ignore"]
    written = CaseLabels.load(out / "classification_labels.csv", truth.classes)
    for case, (mask, label) in sources.items():
        seg = sitk.GetArrayFromImage(sitk.ReadImage(str(out / "labelsTr" / f"{case}.nii.gz")))
        assert log.loc[case, "action"] == ("labeled" if mask else "ignore")
        assert (seg == ignore).all() != mask  # no mask: ignore everywhere, negatives included
        assert np.isnan(written[case][0]) != label


def test_train_stock_predict_and_segcls3d_predict(multimix_dataset, nnunet_paths, train_model, tmp_path):
    dataset, _, truth = multimix_dataset
    out, plans, name = dataset.raw, dataset.plans, truth.classes[0]
    model = train_model(dataset, TRAINER)
    assert (model / "fold_0" / "checkpoint_final.pth").is_file()
    log = next((model / "fold_0").glob("training_log_*.txt")).read_text()
    assert log.count("multimix: classification") == 2  # one line of loss terms per epoch
    validation = pd.read_csv(model / "fold_0" / "validation" / "classification.csv", dtype={"case_id": str})
    assert validation[f"{name}_head_probability"].between(0, 1).all()

    images = out / "imagesTs"
    stock = tmp_path / "stock"
    env = dict(os.environ)
    cmd = [str(Path(sys.executable).with_name("nnUNetv2_predict")), "-i", str(images), "-o", str(stock),
           "-d", str(DATASET_ID), "-c", "2d", "-tr", TRAINER, "-p", plans, "-f", "0", "-device", "cpu",
           "--disable_tta", "-npp", "1", "-nps", "1"]
    subprocess.run(cmd, check=True, env=env, capture_output=True)
    test_ids = sorted(p.name[:-len("_0000.nii.gz")] for p in images.glob("*_0000.nii.gz"))
    assert sorted(p.name[:-7] for p in stock.glob("*.nii.gz")) == test_ids

    ours = tmp_path / "ours"
    assert main(["predict", "-i", str(images), "-o", str(ours), "-m", str(model), "--device", "cpu",
                 "--disable-tta", "--bridge-saliency", "--overlays"]) == 0
    csv = pd.read_csv(ours / "classification.csv", dtype={"case_id": str}).set_index("case_id")
    assert sorted(csv.index) == test_ids
    assert csv[f"{name}_head_probability"].between(0, 1).all() and csv[f"{name}_probability"].between(0, 1).all()
    for case in test_ids:  # stock nnU-Net and segcls3d predict run the same network: the same masks
        a = sitk.GetArrayFromImage(sitk.ReadImage(str(stock / f"{case}.nii.gz")))
        b = sitk.GetArrayFromImage(sitk.ReadImage(str(ours / f"{case}.nii.gz")))
        np.testing.assert_array_equal(a, b)
        image = sitk.GetArrayFromImage(sitk.ReadImage(str(images / f"{case}_0000.nii.gz")))
        with np.load(ours / "saliency" / f"{case}.npz") as saliency:
            maps = saliency["saliency"].astype(np.float32)
            assert list(saliency["classes"]) == truth.classes
        assert maps.shape == (1, *image.shape) and np.isfinite(maps).all()
        assert maps.min() >= 0 and maps.max() > 0  # |d score / d image|, max over channels
        assert (ours / "overlays" / f"{case}.png").is_file()


def test_loader_draws_masked_then_unmasked_cases_as_two_views(multimix_dataset):
    from nnunetv2.run.run_training import get_trainer_from_args

    dataset, sources, _ = multimix_dataset
    trainer = get_trainer_from_args(str(DATASET_ID), "2d", 0, TRAINER, dataset.plans, device=torch.device("cpu"))
    trainer.initialize()
    train_loader, _ = trainer.get_dataloaders()
    loader = train_loader.data_loader
    masked = {c for c, (mask, _) in sources.items() if mask}
    assert set(loader.labeled_keys) == masked & set(loader._data.identifiers)
    assert loader.n_labeled == 2 and loader.n_unlabeled == 2  # cpu_tiny batch 4, unlabeled_fraction 0.5
    batch = next(train_loader)
    assert batch["data"].shape == batch["data_weak"].shape
    assert [k in masked for k in batch["keys"]] == [True, True, False, False]
    ignore = trainer.label_manager.ignore_label
    assert all((t != ignore).any() for t in batch["target"][0][:2])  # annotated voxels
    assert all((t == ignore).float().mean() > 0.5 for t in batch["target"][0][2:])  # ignore, but the padding
