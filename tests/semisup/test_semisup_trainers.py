"""Online semi-supervised trainers on a tiny 2D dataset whose unlabeled cases have all-ignore masks.

Dataset: the lead's tiny 2D synthetic dataset with the masks of half the training cases removed,
turned into a partial-supervision dataset (negatives -> background, positives -> ignore), then
planned/preprocessed by nnU-Net with the cpu_tiny plans. Trainers run in-process (``run_training``
only, no final validation) to stay fast; their checkpoints are predicted with the stock and our CLI.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk
import torch
from semisup_e2e_support import partial_source, train_in_process

DATASET_ID = 962
NAME = f"Dataset{DATASET_ID:03d}_SemisupIgnore2D"


@pytest.fixture(scope="module")
def ignore_dataset(tiny_dataset_2d, nnunet_paths, tmp_path_factory):
    from segcls3d.pipeline import plan_and_preprocess
    from segcls3d.plans import write_preset_plans
    from segcls3d.pseudolabels.partial import write_partial_dataset

    source = partial_source(tiny_dataset_2d.raw, tmp_path_factory.mktemp("src2d") / "source", keep=8)
    records = write_partial_dataset(source, nnunet_paths.raw / NAME, positives="ignore", progress=False)
    assert {r.action for r in records} == {"labeled", "background", "ignore"}
    plan_and_preprocess(DATASET_ID, ("2d",), num_processes=1, verify=False)
    return write_preset_plans(NAME, "cpu_tiny").stem, [r.case_id for r in records if r.action == "ignore"]


def _trainer(name: str, plans: str):
    from nnunetv2.run.run_training import get_trainer_from_args

    trainer = get_trainer_from_args(str(DATASET_ID), "2d", 0, name, plans, device=torch.device("cpu"))
    trainer.initialize()
    return trainer


def test_weak_strong_batches_hold_labeled_then_unlabeled_views(ignore_dataset):
    plans, unlabeled = ignore_dataset
    trainer = _trainer("nnUNetTrainerMeanTeacher_smoke", plans)
    train_loader, _ = trainer.get_dataloaders()
    loader = train_loader.data_loader
    assert sorted(loader.unlabeled_keys) == sorted(set(unlabeled) & set(loader._data.identifiers))
    assert loader.n_labeled == loader.n_unlabeled == 2  # cpu_tiny batch size 4, half unlabeled
    batch = next(train_loader)
    n = batch["n_labeled"]
    assert all(k in loader.labeled_keys for k in batch["keys"][:n])
    assert all(k in loader.unlabeled_keys for k in batch["keys"][n:])
    assert batch["data_weak"].shape == batch["data"][n:].shape
    target = batch["target"][0]
    ignore = trainer.label_manager.ignore_label
    assert (target[:n] != ignore).any() and (target[n:] == ignore).float().mean() > 0.5
    # the strong view is the weak view plus intensity changes only: same geometry, correlated voxels
    for weak, strong in zip(batch["data_weak"], batch["data"][n:]):
        r = np.corrcoef(weak.flatten().numpy(), strong.flatten().numpy())[0, 1]
        assert r > 0.6


def test_mean_teacher_smoke_trains_and_stock_predict_works(ignore_dataset, nnunet_paths, tmp_path):
    plans, _ = ignore_dataset
    trainer, seconds = train_in_process(DATASET_ID, "2d", "nnUNetTrainerMeanTeacher_smoke", plans)
    print(f"nnUNetTrainerMeanTeacher_smoke (2d): {seconds:.1f} s")
    fold = Path(trainer.output_folder)
    assert (fold / "checkpoint_final.pth").is_file() and (fold / "checkpoint_final_ema_teacher.pth").is_file()
    student = torch.load(fold / "checkpoint_final.pth", map_location="cpu", weights_only=False)["network_weights"]
    teacher = torch.load(fold / "checkpoint_final_ema_teacher.pth", map_location="cpu", weights_only=False)
    assert student.keys() == teacher["network_weights"].keys() and teacher["ema_step"] == 20
    out = tmp_path / "stock"
    exe = str(Path(sys.executable).with_name("nnUNetv2_predict"))
    proc = subprocess.run([exe, "-i", str(nnunet_paths.raw / NAME / "imagesTs"), "-o", str(out), "-d", str(DATASET_ID),
                           "-c", "2d", "-f", "0", "-tr", "nnUNetTrainerMeanTeacher_smoke", "-p", plans, "-device",
                           "cpu", "--disable_tta", "-npp", "1", "-nps", "1"],
                          capture_output=True, text=True, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr[-2000:]
    masks = sorted(out.glob("*.nii.gz"))
    assert len(masks) == len(list((nnunet_paths.raw / NAME / "imagesTs").glob("*_0000.nii.gz")))
    assert set(np.unique(sitk.GetArrayFromImage(sitk.ReadImage(str(masks[0]))))) <= {0, 1}


def test_cross_teach_smoke_exports_the_cnn(ignore_dataset, nnunet_paths, tmp_path):
    from segcls3d.cli.main import main

    plans, _ = ignore_dataset
    trainer, seconds = train_in_process(DATASET_ID, "2d", "nnUNetTrainerCrossTeach_smoke", plans)
    print(f"nnUNetTrainerCrossTeach_smoke (2d): {seconds:.1f} s")
    fold = Path(trainer.output_folder)
    companion = torch.load(fold / "checkpoint_final_transformer.pth", map_location="cpu", weights_only=False)
    assert companion["transformer_name"] == "swinunetr"
    assert not any(k.startswith("module.swinViT") for k in
                   torch.load(fold / "checkpoint_final.pth", map_location="cpu", weights_only=False)["network_weights"])
    out = tmp_path / "ours"
    code = main(["predict", "-i", str(nnunet_paths.raw / NAME / "imagesTs"), "-o", str(out), "-m",
                 str(fold.parent), "--device", "cpu", "--disable-tta"])
    assert code == 0
    rows = pd.read_csv(out / "classification.csv")
    assert len(rows) == len(list((nnunet_paths.raw / NAME / "imagesTs").glob("*_0000.nii.gz")))
    assert rows.filter(like="_probability").stack().between(0, 1).all()

    # continuing the training restores the transformer from its companion checkpoint
    resumed = train_in_process(DATASET_ID, "2d", "nnUNetTrainerCrossTeach_smoke", plans, run=False)[0]
    resumed.load_checkpoint(str(fold / "checkpoint_final.pth"))
    for name, value in resumed.transformer.state_dict().items():
        torch.testing.assert_close(value.cpu(), companion["network_weights"][name].cpu())
