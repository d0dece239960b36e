"""Unsupervised and distillation losses for the semi-supervised trainers (softmax outputs unless noted)."""
from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F


def sigmoid_rampup(progress: float) -> float:
    """``exp(-5 (1 - t)^2)`` for t in [0, 1] (Laine & Aila 2017; used by Mean Teacher); 1 after."""
    t = min(max(float(progress), 0.0), 1.0)
    return float(math.exp(-5.0 * (1.0 - t) ** 2))


def rampup_weight(epoch: int, num_epochs: int, fraction: float) -> float:
    """Weight of the unsupervised loss at ``epoch``: sigmoid ramp-up over the first ``fraction`` of training."""
    if fraction <= 0:
        return 1.0
    return sigmoid_rampup(epoch / max(1.0, fraction * num_epochs))


def confident_pseudo_label_loss(student_logits: torch.Tensor, teacher_probs: torch.Tensor,
                                threshold: float) -> tuple[torch.Tensor, torch.Tensor]:
    """FixMatch's loss: cross-entropy to the teacher's argmax where its confidence >= ``threshold``.

    Averaged over *all* voxels (unconfident voxels count as 0), as FixMatch averages over all
    unlabeled samples. Returns (loss, fraction of confident voxels).
    """
    confidence, pseudo = teacher_probs.max(1)
    mask = (confidence >= threshold).float()
    ce = F.cross_entropy(student_logits.float(), pseudo, reduction="none")
    return (ce * mask).mean(), mask.mean()


def softmax_consistency(student_logits: torch.Tensor, teacher_probs: torch.Tensor) -> torch.Tensor:
    """Mean Teacher's consistency: mean squared difference of softmax outputs."""
    return F.mse_loss(torch.softmax(student_logits.float(), 1), teacher_probs.float())


def distillation_loss(student_logits: torch.Tensor, soft_targets: torch.Tensor, temperature: float,
                      has_regions: bool = False) -> torch.Tensor:
    """Cross-entropy to tempered teacher probabilities minus their entropy (= KL), mean over voxels.

    Labels: ``KL(q || softmax(z / tau))`` over channels. Regions: Bernoulli KL between ``q`` and
    ``sigmoid(z / tau)`` per region (CheXseg's BCE with sigmoid temperature). Subtracting the
    targets' entropy changes no gradient; it makes the loss 0 at a perfect match.
    """
    z = student_logits.float() / temperature
    q = soft_targets.float()
    if has_regions:
        bce = F.binary_cross_entropy_with_logits(z, q, reduction="none")
        entropy = -(torch.special.xlogy(q, q) + torch.special.xlogy(1 - q, 1 - q))
        return (bce - entropy).mean()
    kl = (torch.special.xlogy(q, q) - q * torch.log_softmax(z, 1)).sum(1)
    return kl.mean()


def resize_soft_target(soft: torch.Tensor, shape: Sequence[int]) -> torch.Tensor:
    """Average-pool probabilities to a (deep supervision) output's spatial shape."""
    if tuple(soft.shape[2:]) == tuple(shape):
        return soft
    return F.interpolate(soft, size=tuple(int(s) for s in shape), mode="area")
