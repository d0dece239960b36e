"""Per-channel input standardization, the first layer of every trained head.

Pooled probabilities are small numbers that differ little between cases (a 27-voxel lesion moves
the mean of a 2,000-voxel map by 0.01), which makes a linear head learn very slowly at the paper's
learning rates. Each head therefore starts with a fixed affine map ``(x - mean_c) / std_c`` whose
per-channel mean and standard deviation are computed on the training inputs (over cases and grid
positions) and stored with the weights.
"""
from __future__ import annotations

import torch
from torch import nn


class ChannelStandardize(nn.Module):
    """``(x - mean[c]) / std[c]`` for inputs (B, C, *spatial); statistics set by :meth:`fit`."""

    def __init__(self, channels: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(channels))
        self.register_buffer("std", torch.ones(channels))

    @torch.no_grad()
    def fit(self, x: torch.Tensor) -> "ChannelStandardize":
        """Set the statistics from training inputs x (N, C, *spatial); constant channels keep std 1."""
        dims = [0, *range(2, x.ndim)]
        x = x.float()
        self.mean.copy_(x.mean(dims))
        std = x.std(dims) if x.shape[0] * x[0, 0].numel() > 1 else torch.ones_like(self.std)
        self.std.copy_(torch.where(std > 1e-8, std, torch.ones_like(std)))
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = (1, -1) + (1,) * (x.ndim - 2)
        return (x - self.mean.view(shape)) / self.std.view(shape)
