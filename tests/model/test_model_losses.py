"""masked_bce_with_logits: BCE over known labels only."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from segcls3d.model.losses import masked_bce_with_logits

NAN = float("nan")


def test_masked_bce_equals_torch_bce_on_known_entries():
    logits = torch.tensor([[2.0, -1.0, 0.5], [-3.0, 0.0, 1.5]], requires_grad=True)
    targets = torch.tensor([[1.0, NAN, 0.0], [0.0, 1.0, NAN]])
    loss = masked_bce_with_logits(logits, targets)
    known_logits = torch.tensor([2.0, 0.5, -3.0, 0.0])
    known_targets = torch.tensor([1.0, 0.0, 0.0, 1.0])
    expected = F.binary_cross_entropy_with_logits(known_logits, known_targets).item()
    assert loss.item() == pytest.approx(expected, rel=1e-6)
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
