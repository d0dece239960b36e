"""masked_bce_with_logits and SegPlusClassificationLoss."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from segcls3d.training.losses import SegPlusClassificationLoss, masked_bce_with_logits

NAN = float("nan")


def test_masked_bce_equals_torch_bce_on_known_entries():
    logits = torch.tensor([[2.0, -1.0, 0.5], [-3.0, 0.0, 1.5]], requires_grad=True)
    targets = torch.tensor([[1.0, NAN, 0.0], [0.0, 1.0, NAN]])
    loss = masked_bce_with_logits(logits, targets)
    known_logits = torch.tensor([2.0, 0.5, -3.0, 0.0])
    known_targets = torch.tensor([1.0, 0.0, 0.0, 1.0])
    assert loss.item() == pytest.approx(F.binary_cross_entropy_with_logits(known_logits, known_targets).item(), rel=1e-6)
    manual = -sum(t * math.log(1 / (1 + math.exp(-z))) + (1 - t) * math.log(1 - 1 / (1 + math.exp(-z)))
                  for z, t in zip(known_logits.tolist(), known_targets.tolist())) / 4
    assert loss.item() == pytest.approx(manual, rel=1e-6)
    loss.backward()
    assert logits.grad[0, 1] == 0 and logits.grad[1, 2] == 0
    assert logits.grad[0, 0] == pytest.approx((torch.sigmoid(torch.tensor(2.0)).item() - 1) / 4, rel=1e-5)


def test_masked_bce_all_known_matches_plain_bce_and_casts_targets():
    torch.manual_seed(0)
    logits = torch.randn(4, 2)
    targets = torch.randint(0, 2, (4, 2)).double()
    assert masked_bce_with_logits(logits, targets).item() == pytest.approx(
        F.binary_cross_entropy_with_logits(logits, targets.float()).item(), rel=1e-6)


@pytest.mark.parametrize("shape", [(3, 2), (0, 2)])
def test_masked_bce_all_unknown_is_zero_with_graph(shape):
    logits = torch.randn(*shape, requires_grad=True)
    loss = masked_bce_with_logits(logits, torch.full(shape, NAN))
    assert loss.item() == 0.0
    assert loss.requires_grad and loss.grad_fn is not None
    loss.backward()
    assert torch.equal(logits.grad, torch.zeros(shape))


class _ConstSeg(nn.Module):
    def forward(self, output, target):
        return ((output - target) ** 2).mean()


def test_seg_plus_classification_loss():
    head_logits = torch.tensor([[1.0, -1.0], [0.0, 2.0]], requires_grad=True)
    loss_fn = SegPlusClassificationLoss(_ConstSeg(), lambda: head_logits, weight=0.3)
    output, target = torch.full((2, 3), 2.0, requires_grad=True), torch.zeros(2, 3)
    # no classification targets yet: segmentation loss only
    assert loss_fn(output, target).item() == pytest.approx(4.0)
    assert loss_fn.last_cls_loss is None
    loss_fn.cls_targets = torch.tensor([[1.0, NAN], [0.0, 1.0]])
    total = loss_fn(output, target)
    bce = F.binary_cross_entropy_with_logits(torch.tensor([1.0, 0.0, 2.0]), torch.tensor([1.0, 0.0, 1.0]))
    assert loss_fn.last_cls_loss.item() == pytest.approx(bce.item(), rel=1e-6)
    assert total.item() == pytest.approx(4.0 + 0.3 * bce.item(), rel=1e-6)
    total.backward()
    assert head_logits.grad is not None and head_logits.grad[0, 1] == 0
    assert output.grad is not None


def test_seg_plus_classification_loss_without_head_output():
    loss_fn = SegPlusClassificationLoss(_ConstSeg(), lambda: None, weight=1.0)
    loss_fn.cls_targets = torch.tensor([[1.0]])
    assert loss_fn(torch.ones(1, 2), torch.zeros(1, 2)).item() == pytest.approx(1.0)
    assert loss_fn.last_cls_loss is None


def test_seg_plus_classification_loss_half_precision_logits():
    logits = torch.tensor([[0.5]], dtype=torch.bfloat16)
    loss_fn = SegPlusClassificationLoss(_ConstSeg(), lambda: logits, weight=2.0)
    loss_fn.cls_targets = torch.tensor([[1.0]])
    total = loss_fn(torch.zeros(1, 1), torch.zeros(1, 1))
    assert loss_fn.last_cls_loss.dtype == torch.float32
    assert total.item() == pytest.approx(2.0 * F.softplus(torch.tensor(-0.5)).item(), rel=1e-2)
