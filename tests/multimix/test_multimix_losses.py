"""MultiMix's loss terms against hand computation, scikit-learn and scipy, with nnU-Net's real loss."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from nnunetv2.training.loss.compound_losses import DC_and_CE_loss
from nnunetv2.training.loss.deep_supervision import DeepSupervisionWrapper
from nnunetv2.training.loss.dice import MemoryEfficientSoftDiceLoss
from scipy.stats import entropy
from sklearn.metrics import log_loss

from segcls3d.training.multimix.losses import (
    MultiMixWeights,
    multimix_losses,
    pseudo_label_loss,
    segmentation_kl,
)
from segcls3d.training.multimix.sources import class_targets, masked_samples
from segcls3d.training.patch_labels import patch_class_labels

IGNORE = 2


def _nnunet_loss() -> DeepSupervisionWrapper:
    dice = {"batch_dice": False, "smooth": 1e-5, "do_bg": False, "ddp": False}
    return DeepSupervisionWrapper(DC_and_CE_loss(dice, {}, weight_ce=1, weight_dice=1, ignore_label=IGNORE,
                                                 dice_class=MemoryEfficientSoftDiceLoss), [1.0, 0.5])


def _batch():
    """4 samples: 0 mask + class label, 1 mask only, 2 class label only, 3 neither (2 and 3: all ignore but the
    padding around the crop, which nnU-Net's transforms turn into background)."""
    torch.manual_seed(0)
    target = torch.zeros(4, 1, 8, 8)
    target[0, 0, 2:4, 2:4] = 1
    target[1, 0, 5:7, 1:3] = 1
    target[2:, :, :, 1:] = IGNORE
    targets = [target, target[:, :, ::2, ::2]]
    strong = [torch.randn(4, 2, 8, 8, requires_grad=True), torch.randn(4, 2, 4, 4, requires_grad=True)]
    case_labels = torch.tensor([[1.0], [float("nan")], [1.0], [float("nan")]])
    patch_labels = patch_class_labels(target, case_labels, ["lesion"], {"lesion": [1]}, False, IGNORE)
    labels = class_targets(patch_labels, case_labels, masked_samples(2, 4))
    weak_logits = torch.tensor([[1.5], [2.0], [-0.5], [3.0]], requires_grad=True)
    strong_logits = torch.tensor([[0.2], [-1.0], [0.3], [0.5]], requires_grad=True)
    return targets, strong, labels, weak_logits, strong_logits


def test_sources_of_the_batch():
    _, _, labels, _, _ = _batch()
    # the mask-only case (1) has a lesion in its patch, but no class label: unknown, not 1; the class-only
    # case (2) keeps its positive label although its patch is not all `ignore` (padding) and has no lesion
    assert torch.equal(torch.isnan(labels[:, 0]), torch.tensor([False, True, False, True]))
    assert labels[0, 0] == 1 and labels[2, 0] == 1


def test_class_label_only_cases_give_no_segmentation_loss_and_mask_only_cases_no_class_loss():
    targets, strong, labels, weak_logits, strong_logits = _batch()
    loss = _nnunet_loss()
    terms = multimix_losses(loss, strong, targets, weak_logits, strong_logits, labels, masked_samples(2, 4), 0.7,
                            False)
    torch.testing.assert_close(terms.segmentation, loss([s[:2] for s in strong], [t[:2] for t in targets]))
    seg_grads = torch.autograd.grad(terms.segmentation, strong, retain_graph=True)
    for g in seg_grads:
        assert g[2:].abs().sum() == 0 and g[0].abs().sum() > 0 and g[1].abs().sum() > 0
    expected = log_loss([1, 1], torch.sigmoid(weak_logits.detach()[[0, 2], 0]).numpy(), labels=[0, 1])
    assert terms.classification.item() == pytest.approx(expected, rel=1e-5)
    (cls_grad,) = torch.autograd.grad(terms.classification, weak_logits, retain_graph=True)
    assert cls_grad[1].item() == 0 and cls_grad[3].item() == 0 and cls_grad[0].item() != 0
    weights = MultiMixWeights()
    assert (weights.classification, weights.segmentation, weights.pseudo_label, weights.kl) == (1, 5, 0.25, 0.01)
    expected_total = (terms.classification + 5 * terms.segmentation + 0.25 * terms.pseudo_label
                      + 0.01 * terms.kl)
    torch.testing.assert_close(terms.total(weights), expected_total)


def test_pseudo_labels_below_the_threshold_give_no_gradient():
    # weak confidences max(p, 1 - p): 0.95, 0.60, 0.88, 0.52 and one known entry (no pseudo label)
    weak = torch.tensor([[math.log(0.95 / 0.05)], [math.log(0.4 / 0.6)], [math.log(0.12 / 0.88)], [0.08], [5.0]],
                        requires_grad=True)
    strong = torch.tensor([[0.3], [-0.2], [0.4], [1.0], [-2.0]], requires_grad=True)
    unknown = torch.tensor([[True], [True], [True], [True], [False]])
    loss, confident = pseudo_label_loss(strong, weak, unknown, threshold=0.7)
    assert confident == pytest.approx(2 / 4)
    # pseudo labels: 1 for the first (p = 0.95), 0 for the third (p = 0.12); mean over the 4 unknown entries
    hand = (math.log1p(math.exp(-0.3)) + math.log1p(math.exp(0.4))) / 4
    assert loss.item() == pytest.approx(hand, rel=1e-6)
    loss.backward()
    assert weak.grad is None  # the weak view only supplies targets
    g = strong.grad[:, 0]
    assert g[1] == 0 and g[3] == 0 and g[4] == 0  # unconfident or known: no gradient
    assert g[0] == pytest.approx((torch.sigmoid(torch.tensor(0.3)) - 1).item() / 4)
    assert g[2] == pytest.approx(torch.sigmoid(torch.tensor(0.4)).item() / 4)


def test_no_pseudo_label_without_unknown_entries():
    strong = torch.zeros(2, 1, requires_grad=True)
    loss, confident = pseudo_label_loss(strong, torch.full((2, 1), 4.0), torch.zeros(2, 1, dtype=torch.bool), 0.7)
    assert loss.item() == 0 and confident == 0 and loss.requires_grad


def test_segmentation_kl_matches_scipy_for_labels_and_regions():
    torch.manual_seed(3)
    labelled = torch.randn(2, 3, 4, requires_grad=True)
    unlabelled = torch.randn(2, 3, 4, requires_grad=True)
    kl = segmentation_kl(labelled, unlabelled, has_regions=False)
    p = torch.softmax(labelled.detach(), 1).mean(0).numpy()
    q = torch.softmax(unlabelled.detach(), 1).numpy()
    expected = np.mean([entropy(p[:, v], q[b, :, v]) for b in range(2) for v in range(4)])
    assert kl.item() == pytest.approx(expected, rel=1e-5)
    kl.backward()
    assert labelled.grad is None and unlabelled.grad.abs().sum() > 0  # labelled predictions are the reference

    regions = segmentation_kl(labelled.detach(), unlabelled.detach(), has_regions=True)
    p = torch.sigmoid(labelled.detach()).mean(0).numpy()
    q = torch.sigmoid(unlabelled.detach()).numpy()
    expected = np.mean([entropy([p[c, v], 1 - p[c, v]], [q[b, c, v], 1 - q[b, c, v]])
                        for b in range(2) for c in range(3) for v in range(4)])
    assert float(regions) == pytest.approx(expected, rel=1e-5)
    same = torch.randn(1, 3, 4)
    assert float(segmentation_kl(same, same.repeat(2, 1, 1), has_regions=False)) == pytest.approx(0, abs=1e-6)
    assert float(segmentation_kl(same[:0], same, has_regions=False)) == 0
