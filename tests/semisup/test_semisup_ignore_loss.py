"""nnU-Net's ignore label: an ignored voxel contributes nothing to its loss (partial supervision relies on it)."""
from __future__ import annotations

import pytest
import torch
from nnunetv2.training.loss.compound_losses import DC_and_CE_loss
from nnunetv2.training.loss.deep_supervision import DeepSupervisionWrapper
from nnunetv2.training.loss.dice import MemoryEfficientSoftDiceLoss

from segcls3d.training.patch_labels import patch_class_labels

IGNORE = 3  # labels 0, 1, 2 + ignore = max + 1


def _loss(batch_dice: bool) -> DC_and_CE_loss:
    return DC_and_CE_loss({"batch_dice": batch_dice, "smooth": 1e-5, "do_bg": False, "ddp": False}, {},
                          weight_ce=1, weight_dice=1, ignore_label=IGNORE, dice_class=MemoryEfficientSoftDiceLoss)


def _data(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn((2, 3, 6, 7, 5), generator=g, dtype=torch.float64)
    target = torch.randint(0, 3, (2, 1, 6, 7, 5), generator=g)
    ignored = torch.rand((2, 1, 6, 7, 5), generator=g) < 0.4
    ignored[1] = True  # the second sample is entirely unlabeled
    target[ignored] = IGNORE
    return logits, target, ignored


@pytest.mark.parametrize("batch_dice", [False, True])
def test_gradient_at_ignored_voxels_is_exactly_zero(batch_dice):
    logits, target, ignored = _data()
    logits.requires_grad_(True)
    _loss(batch_dice)(logits, target).backward()
    grad = logits.grad
    mask = ignored.expand_as(grad)
    assert torch.count_nonzero(grad[mask]) == 0
    assert torch.count_nonzero(grad[~mask]) > 0.9 * (~mask).sum()


@pytest.mark.parametrize("batch_dice", [False, True])
def test_loss_does_not_depend_on_ignored_logits(batch_dice):
    logits, target, ignored = _data(1)
    loss = _loss(batch_dice)
    before = loss(logits, target)
    changed = logits.clone()
    changed[ignored.expand_as(logits)] = torch.randn(int(ignored.expand_as(logits).sum()), dtype=torch.float64) * 50
    assert loss(changed, target).item() == before.item()


def test_all_ignored_batch_gives_no_gradient_through_deep_supervision():
    logits = [torch.randn((2, 3, 8, 8), requires_grad=True), torch.randn((2, 3, 4, 4), requires_grad=True)]
    targets = [torch.full((2, 1, 8, 8), IGNORE), torch.full((2, 1, 4, 4), IGNORE)]
    total = DeepSupervisionWrapper(_loss(False), (0.67, 0.33))(logits, targets)
    total.backward()
    assert torch.isfinite(total)
    assert all(torch.count_nonzero(x.grad) == 0 for x in logits)


def test_patch_labels_of_unlabeled_positive_and_negative_cases():
    """An all-ignore patch of a positive case has no patch label (a crop may miss the finding); an
    all-background patch of a negative case is negative."""
    target = torch.stack([torch.full((1, 4, 4), IGNORE), torch.zeros((1, 4, 4), dtype=torch.long)])
    labels = patch_class_labels(target, torch.tensor([[1.0], [0.0]]), ["target"], {"target": [1]},
                                has_regions=False, ignore_label=IGNORE)
    assert torch.isnan(labels[0, 0]) and labels[1, 0] == 0
