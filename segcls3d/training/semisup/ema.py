"""Exponential moving average of network weights (the Mean Teacher)."""
from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def update_ema(teacher: nn.Module, student: nn.Module, decay: float, step: int) -> float:
    """``teacher = a * teacher + (1 - a) * student`` with ``a = min(1 - 1 / (step + 1), decay)``.

    The warm-up term is Tarvainen & Valpola's: early on the teacher follows the student closely.
    Buffers are copied. Returns the ``a`` used.
    """
    alpha = min(1.0 - 1.0 / (step + 1), decay)
    for t, s in zip(teacher.parameters(), student.parameters()):
        t.mul_(alpha).add_(s.detach(), alpha=1.0 - alpha)
    for t, s in zip(teacher.buffers(), student.buffers()):
        t.copy_(s)
    return alpha
