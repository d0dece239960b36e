"""Helpers for the semisup end-to-end tests: a partially annotated copy of a raw dataset, in-process training."""
from __future__ import annotations

import shutil
import time
from pathlib import Path


def partial_source(raw: Path, out: Path, keep: int) -> Path:
    """Copy of ``raw`` where only the first ``keep`` training cases keep their mask (images hard-linked)."""
    out.mkdir(parents=True, exist_ok=True)
    for sub in ("imagesTr", "imagesTs", "labelsTs"):
        shutil.copytree(raw / sub, out / sub, copy_function=_link, dirs_exist_ok=True)
    (out / "labelsTr").mkdir(exist_ok=True)
    for f in sorted((raw / "labelsTr").glob("*.nii.gz"))[:keep]:
        shutil.copyfile(f, out / "labelsTr" / f.name)
    for name in ("dataset.json", "classification_labels.csv"):
        shutil.copyfile(raw / name, out / name)
    return out


def _link(src, dst):
    Path(dst).hardlink_to(src)


def train_in_process(dataset_id: int, configuration: str, trainer_name: str, plans: str, run: bool = True):
    """Build the trainer like nnUNetv2_train (found through nnUNet_extTrainer) and run its training loop
    (without nnU-Net's final validation, which would start a worker pool). Returns (trainer, seconds)."""
    import torch
    from nnunetv2.run.run_training import get_trainer_from_args

    started = time.time()
    trainer = get_trainer_from_args(str(dataset_id), configuration, 0, trainer_name, plans, device=torch.device("cpu"))
    if run:
        trainer.run_training()
    return trainer, time.time() - started
