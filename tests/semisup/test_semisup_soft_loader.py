"""Soft targets follow nnU-Net's cropping and spatial augmentation exactly like the segmentation.

Soft target := one-hot of the preprocessed ground truth. After nnU-Net's training transforms (with
rotation and scaling forced on), argmax of the soft target must reproduce the transformed
segmentation target; intensity augmentation must leave the soft target untouched.
"""
from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch


@pytest.fixture(scope="module")
def trainer_3d(tiny_dataset_3d):
    from nnunetv2.run.run_training import get_trainer_from_args

    trainer = get_trainer_from_args(str(tiny_dataset_3d.dataset_id), tiny_dataset_3d.configuration, 0, "nnUNetTrainer",
                                    tiny_dataset_3d.plans, device=torch.device("cpu"))
    trainer.enable_deep_supervision = False
    trainer.initialize()
    return trainer


def _one_hot_soft_targets(trainer, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    dataset = trainer.dataset_class(trainer.preprocessed_dataset_folder)
    for key in dataset.identifiers:
        _, seg, _, _ = dataset.load_case(key)
        seg = np.asarray(seg[:])[0]
        np.save(folder / f"{key}.npy", np.stack([seg <= 0, seg == 1]).astype(np.float16))


def test_soft_target_moves_with_the_segmentation(trainer_3d, tmp_path):
    from segcls3d.training.dataloaders import build_augmenters
    from segcls3d.training.semisup.soft_target_loader import SoftTargetDataLoader

    folder = tmp_path / "soft"
    _one_hot_soft_targets(trainer_3d, folder)
    loader_class = partial(SoftTargetDataLoader, soft_target_folder=folder, num_channels=2)
    train, _ = build_augmenters(trainer_3d, loader_class)
    for t in train.data_loader.transforms.transforms:
        if type(t).__name__ == "SpatialTransform":
            t.p_rotation, t.p_scaling = 1.0, 1.0
    fg_soft = fg_seg = both = 0
    for _ in range(3):
        batch = next(train)
        assert batch["has_soft"].all()
        soft, seg = batch["soft_target"], batch["target"][:, 0]
        assert soft.shape == (seg.shape[0], 2, *seg.shape[1:])
        torch.testing.assert_close(soft.sum(1), torch.ones_like(soft[:, 0]), atol=1e-3, rtol=0)
        pred = soft.argmax(1) == 1
        fg_soft += int(pred.sum())
        fg_seg += int((seg == 1).sum())
        both += int((pred & (seg == 1)).sum())
    assert fg_seg > 100, "oversampling should put foreground into the patches"
    dice = 2 * both / (fg_soft + fg_seg)
    print(f"soft-target vs segmentation Dice after augmentation: {dice:.4f} ({fg_seg} foreground voxels)")
    assert dice > 0.95, dice


def test_cases_without_soft_target_are_flagged(trainer_3d, tmp_path):
    from segcls3d.training.dataloaders import build_augmenters
    from segcls3d.training.semisup.soft_target_loader import SoftTargetDataLoader

    (tmp_path / "empty").mkdir()
    loader_class = partial(SoftTargetDataLoader, soft_target_folder=tmp_path / "empty", num_channels=2)
    train, _ = build_augmenters(trainer_3d, loader_class)
    batch = next(train)
    assert not batch["has_soft"].any() and not batch["soft_target"].any()
    assert batch["data"].shape[0] == trainer_3d.batch_size
