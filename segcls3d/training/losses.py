"""Classification losses that skip unknown labels (NaN)."""
from __future__ import annotations

from typing import Callable, Optional

import torch
import torch.nn.functional as F
from torch import nn


def masked_bce_with_logits(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy over entries whose target is known; 0 (keeps the graph) if none are."""
    targets = targets.to(logits.device, logits.dtype)
    known = ~torch.isnan(targets)
    if not bool(known.any()):
        return logits.sum() * 0.0
    return F.binary_cross_entropy_with_logits(logits[known], targets[known])


class SegPlusClassificationLoss(nn.Module):
    """``seg_loss(output, target) + weight * BCE(head logits, cls_targets)`` for the multitask network.

    The trainer sets ``cls_targets`` before each step; ``get_logits`` returns the head's last output.
    """

    def __init__(self, seg_loss: nn.Module, get_logits: Callable[[], Optional[torch.Tensor]], weight: float):
        super().__init__()
        self.seg_loss = seg_loss
        self.get_logits = get_logits
        self.weight = weight
        self.cls_targets: Optional[torch.Tensor] = None
        self.last_cls_loss: Optional[torch.Tensor] = None

    def forward(self, output, target) -> torch.Tensor:
        loss = self.seg_loss(output, target)
        logits = self.get_logits()
        if logits is None or self.cls_targets is None:
            return loss
        self.last_cls_loss = masked_bce_with_logits(logits.float(), self.cls_targets)
        return loss + self.weight * self.last_cls_loss
