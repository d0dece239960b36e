"""Pieces of the online semi-supervised trainers: losses, ramp-up, EMA, transformer padding, view split."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from segcls3d.training.semisup.ema import update_ema
from segcls3d.training.semisup.losses import (
    confident_pseudo_label_loss,
    rampup_weight,
    sigmoid_rampup,
    softmax_consistency,
)
from segcls3d.training.semisup.semisup_loader import unlabeled_count
from segcls3d.training.semisup.transformer import PadToMultiple, build_transformer, padded_size


def test_sigmoid_rampup_values():
    assert sigmoid_rampup(0) == pytest.approx(math.exp(-5))
    assert sigmoid_rampup(0.5) == pytest.approx(math.exp(-1.25))
    assert sigmoid_rampup(1) == sigmoid_rampup(3) == 1.0
    assert rampup_weight(0, 1000, 0.1) == pytest.approx(math.exp(-5))
    assert rampup_weight(50, 1000, 0.1) == pytest.approx(math.exp(-1.25))
    assert rampup_weight(0, 1000, 0.0) == 1.0


def test_confident_pseudo_label_loss_counts_only_confident_voxels():
    teacher = torch.tensor([[0.99, 0.6], [0.01, 0.4]]).reshape(1, 2, 2)  # voxel 0 confident class 0, voxel 1 not
    student = torch.zeros(1, 2, 2)  # uniform: CE = log 2 everywhere
    loss, fraction = confident_pseudo_label_loss(student, teacher, threshold=0.95)
    assert fraction.item() == 0.5
    assert loss.item() == pytest.approx(math.log(2) / 2)  # mean over all voxels, unconfident ones count 0
    student.requires_grad_(True)
    loss, _ = confident_pseudo_label_loss(student, teacher, 0.95)
    loss.backward()
    assert torch.count_nonzero(student.grad[..., 1]) == 0


def test_softmax_consistency_is_zero_for_matching_outputs():
    logits = torch.randn(2, 3, 4, 4)
    assert softmax_consistency(logits, torch.softmax(logits, 1)).item() == pytest.approx(0, abs=1e-12)
    assert softmax_consistency(logits, torch.full_like(logits, 1 / 3)).item() > 0


def test_update_ema_uses_the_warmup_then_the_decay():
    teacher, student = nn.Linear(2, 1), nn.Linear(2, 1)
    with torch.no_grad():
        teacher.weight.fill_(1.0)
        student.weight.fill_(3.0)
    assert update_ema(teacher, student, decay=0.99, step=0) == 0.0  # step 0: copy the student
    torch.testing.assert_close(teacher.weight, student.weight)
    with torch.no_grad():
        teacher.weight.fill_(1.0)
    assert update_ema(teacher, student, 0.99, step=1000) == 0.99
    torch.testing.assert_close(teacher.weight, torch.full((1, 2), 0.99 * 1 + 0.01 * 3))


@pytest.mark.parametrize("batch, fraction, expected", [(2, 0.5, 1), (4, 0.5, 2), (4, 0.9, 3), (5, 0.1, 1)])
def test_unlabeled_count(batch, fraction, expected):
    assert unlabeled_count(batch, fraction) == expected


def test_unlabeled_count_needs_two_samples():
    from segcls3d.errors import InputDataError

    with pytest.raises(InputDataError, match="batch size"):
        unlabeled_count(1, 0.5)


def test_pad_to_multiple_restores_the_input_size():
    seen = []

    class Record(nn.Module):
        def forward(self, x):
            seen.append(tuple(x.shape[2:]))
            return x * 2

    x = torch.randn(1, 1, 20, 33, 64)
    y = PadToMultiple(Record(), 32, 64)(x)
    assert seen == [(64, 64, 64)] and y.shape == x.shape
    torch.testing.assert_close(y, 2 * x)
    assert padded_size(24, 32, 64) == 64 and padded_size(80, 32, 64) == 96 and padded_size(24, 16, 32) == 32


@pytest.mark.parametrize("name, patch", [("swinunetr", (40, 48)), ("unetr", (24, 20))])
def test_transformers_handle_any_2d_patch_size(name, patch):
    net = build_transformer(name, in_channels=2, out_channels=3, patch_size=patch, feature_size=12)
    net.train()
    out = net(torch.randn(2, 2, *patch))
    assert out.shape == (2, 3, *patch)


def test_unknown_transformer_is_a_user_error():
    from segcls3d.errors import SegCls3dError

    with pytest.raises(SegCls3dError, match="unknown transformer"):
        build_transformer("vit", 1, 2, (32, 32))
    with pytest.raises(SegCls3dError, match="multiple of 12"):
        build_transformer("swinunetr", 1, 2, (32, 32), feature_size=16)


def test_weak_strong_split_of_nnunet_training_transforms():
    from batchgeneratorsv2.transforms.spatial.mirroring import MirrorTransform
    from batchgeneratorsv2.transforms.spatial.spatial import SpatialTransform
    from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer

    from segcls3d.training.semisup.augmentation_split import is_intensity_transform, split_weak_strong

    full = nnUNetTrainer.get_training_transforms((32, 32), (-0.5, 0.5), [[1, 1], [0.5, 0.5]], (0, 1), False,
                                                 foreground_labels=[1], ignore_label=2)
    weak, strong = split_weak_strong(full)
    assert len(weak.transforms) + len(strong.transforms) == len(full.transforms)
    assert any(isinstance(t, SpatialTransform) for t in weak.transforms)
    assert any(isinstance(t, MirrorTransform) for t in weak.transforms)
    assert len(strong.transforms) == 7 and all(is_intensity_transform(t) for t in strong.transforms)
    image = torch.randn(1, 32, 32)
    out = strong(image=image.clone())
    assert set(out) == {"image"} and out["image"].shape == image.shape
