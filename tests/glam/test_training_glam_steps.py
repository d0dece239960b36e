"""GLAM's losses against hand computation, and the trainer's label-aware choice of patches."""
from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

from segcls3d.model.glam.global_module import GlobalOutput
from segcls3d.model.glam.network import GLAMOutput
from segcls3d.training.glam.losses import global_loss, joint_loss, local_loss
from segcls3d.training.glam.trainer import nnUNetTrainerGLAM


def _bce(p: float, y: float) -> float:
    return -(y * math.log(p) + (1 - y) * math.log(1 - p))


def _output() -> GLAMOutput:
    maps = [torch.full((2, 1, 4, 4), 0.25), torch.full((2, 1, 2, 2), 0.5)]
    scores = [torch.tensor([[0.8], [0.3]]), torch.tensor([[0.6], [0.1]])]
    glob = GlobalOutput(maps, scores, torch.stack(scores).mean(0), maps[0], torch.zeros(2, 3))
    return GLAMOutput(glob, maps[0], patch_maps=torch.full((12, 1, 2, 2), 0.1),
                      local_score=torch.tensor([[0.7], [0.4]]), fusion_logits=torch.tensor([[0.0], [2.0]]))


def test_losses_match_the_papers_formulas():
    out, labels, lam = _output(), torch.tensor([[1.0], [float("nan")]]), 0.5  # the second label unknown
    expected_global = _bce(0.8, 1) + lam * 0.25 + _bce(0.6, 1) + lam * 0.5
    assert global_loss(out, labels, lam).item() == pytest.approx(expected_global, rel=1e-5)
    expected_local = _bce(0.7, 1) + lam * 0.1
    assert local_loss(out, labels, lam).item() == pytest.approx(expected_local, rel=1e-5)
    fusion = _bce(1 / (1 + math.exp(-0.0)), 1)
    assert joint_loss(out, labels, lam).item() == pytest.approx(expected_global + expected_local + fusion, rel=1e-5)


def test_positive_and_unknown_images_get_greedy_boxes_negative_ones_random():
    torch.manual_seed(0)
    fake = SimpleNamespace(network=SimpleNamespace(local_patch=(8, 8)))
    maps = torch.zeros(3, 1, 32, 32)
    maps[:, 0, 20:28, 4:12] = 1.0
    labels = torch.tensor([[1.0], [float("nan")], [0.0]])
    starts = nnUNetTrainerGLAM.patch_starts(fake, maps, labels, 2)
    assert starts[0][0] == (20, 4) and starts[1][0] == (20, 4)
    assert (20, 4) not in starts[2] and len(starts[2]) == 2
