"""GLAM's global module: the plan's encoder on the shrunk whole image, a saliency map per class at several scales.

For each chosen encoder stage h_n a 1x1 convolution and a sigmoid give S_n (one map per class),
top-t% pooling gives its image scores y_n; the module's score is the mean of the y_n and its map S_g
the weighted sum of the S_n brought to the finest scale (nearest neighbour, as in App. B). The
representation z_g is the spatial maximum of the deepest stage (the fusion module's input).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from segcls3d.model.glam.pooling import top_t_pool


@dataclass
class GlobalOutput:
    """Per-scale maps (finest first) and scores, the combined score and map, and z_g."""

    scale_maps: list[torch.Tensor]
    scale_scores: list[torch.Tensor]
    score: torch.Tensor
    saliency: torch.Tensor
    features: torch.Tensor


def stage_strides(encoder: nn.Module) -> list[int]:
    """Cumulative stride of each encoder stage (the largest over axes)."""
    cumulative = np.ones(len(np.atleast_1d(encoder.strides[0])), dtype=int)
    out = []
    for s in encoder.strides:
        cumulative = cumulative * np.atleast_1d(s)
        out.append(int(cumulative.max()))
    return out


def saliency_stages(strides: Sequence[int], scales: int, min_stride: int) -> list[int]:
    """Indices of the ``scales`` consecutive stages that get a map: from the first with stride >= ``min_stride``,
    moved earlier when fewer stages follow.

    >>> saliency_stages([1, 2, 4, 8, 16, 32], 3, 4), saliency_stages([1, 2, 4, 8], 3, 4), saliency_stages([1, 2], 3, 4)
    ([2, 3, 4], [1, 2, 3], [0, 1])
    """
    n = len(strides)
    first = next((i for i, s in enumerate(strides) if s >= min_stride), n - 1)
    first = max(0, min(first, n - scales))
    return list(range(first, min(n, first + scales)))


class GlobalModule(nn.Module):
    """Encoder + one 1x1 convolution per saliency scale (see :func:`saliency_stages`)."""

    def __init__(self, encoder: nn.Module, num_classes: int, scales: int, min_stride: int,
                 scale_weights: Sequence[float], top_t: float):
        super().__init__()
        self.encoder = encoder
        self.stages = saliency_stages(stage_strides(encoder), scales, min_stride)
        self.saliency_heads = nn.ModuleList(
            [encoder.conv_op(encoder.output_channels[s], num_classes, 1) for s in self.stages])
        weights = list(scale_weights) if len(scale_weights) == len(self.stages) else [1.0] * len(self.stages)
        self.scale_weights = [w / sum(weights) for w in weights]
        self.top_t = top_t
        self.feature_channels = int(encoder.output_channels[-1])

    def forward(self, x: torch.Tensor) -> GlobalOutput:
        skips = self.encoder(x)
        maps = [torch.sigmoid(head(skips[s])) for head, s in zip(self.saliency_heads, self.stages)]
        scores = [top_t_pool(m, self.top_t) for m in maps]
        finest = maps[0].shape[2:]
        saliency = sum(w * (m if m.shape[2:] == finest else F.interpolate(m, size=finest, mode="nearest"))
                       for w, m in zip(self.scale_weights, maps))
        return GlobalOutput(maps, scores, torch.stack(scores).mean(0), saliency,
                            torch.flatten(skips[-1], 2).amax(-1))
