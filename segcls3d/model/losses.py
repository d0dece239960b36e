"""Classification loss that skips unknown labels (NaN)."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def masked_bce_with_logits(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy over entries whose target is known; 0 (keeps the graph) if none are."""
    targets = targets.to(logits.device, logits.dtype)
    known = ~torch.isnan(targets)
    if not bool(known.any()):
        return logits.sum() * 0.0
    return F.binary_cross_entropy_with_logits(logits[known], targets[known])
