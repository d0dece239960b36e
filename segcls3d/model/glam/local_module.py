"""GLAM's local module: a high-resolution encoder on full-resolution patches, a saliency map per class.

The paper's local network is a ResNet-34 whose strides were reduced so that its map keeps a quarter
of the patch's resolution. Here it is the plan's own encoder (same architecture class, kernels,
widths and blocks) with its strides capped so that no stage downsamples by more than
``local_stride`` in total; a 1x1 convolution and a sigmoid give A_k per patch, and the spatial maximum
of the last stage is the patch's representation z_k.

Aggregation of the K patches of an image (MIL):

* ``concat``: the K maps pooled together with top-t% (the local stage);
* ``attention``: top-t% per patch, combined with gated-attention weights, which also combine the z_k
  (the joint stage, where z_l feeds the fusion module).
"""
from __future__ import annotations

from copy import deepcopy
from typing import Sequence

import numpy as np
import torch
from torch import nn

from segcls3d.model.glam.attention import GatedAttention
from segcls3d.model.glam.pooling import top_t_pool

AGGREGATIONS = ("concat", "attention")


def capped_strides(strides: Sequence, cap: int) -> list[list[int]]:
    """Per-stage strides with the cumulative stride of every axis kept <= ``cap`` (strides past it become 1).

    >>> capped_strides([1, 2, 2, 2, 2], 4)
    [[1], [2], [2], [1], [1]]
    >>> capped_strides([[1, 1, 1], [1, 2, 2], [2, 2, 2]], 2)
    [[1, 1, 1], [1, 2, 2], [2, 1, 1]]
    """
    dims = max(len(np.atleast_1d(s)) for s in strides)
    cumulative = np.ones(dims, dtype=int)
    out = []
    for s in strides:
        s = np.broadcast_to(np.atleast_1d(s), (dims,))
        kept = np.where(cumulative * s <= cap, s, 1)
        cumulative = cumulative * kept
        out.append([int(v) for v in kept])
    return out


def local_arch_kwargs(arch_kwargs: dict, cap: int) -> dict:
    """The plan's architecture arguments with :func:`capped_strides`."""
    kwargs = deepcopy(arch_kwargs)
    kwargs["strides"] = capped_strides(kwargs["strides"], cap)
    return kwargs


def total_stride(encoder: nn.Module) -> list[int]:
    """Product of the encoder's strides per axis."""
    return [int(v) for v in np.prod(np.array([np.atleast_1d(s) for s in encoder.strides]), axis=0)]


class LocalModule(nn.Module):
    """High-resolution encoder + 1x1 convolution: (N, C, *patch) -> maps (N, classes, *patch/stride), z (N, D)."""

    def __init__(self, encoder: nn.Module, num_classes: int, top_t: float):
        super().__init__()
        self.encoder = encoder
        self.saliency_head = encoder.conv_op(encoder.output_channels[-1], num_classes, 1)
        self.attention = GatedAttention(int(encoder.output_channels[-1]))
        self.top_t = top_t
        self.feature_channels = int(encoder.output_channels[-1])

    def forward(self, patches: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        skips = self.encoder(patches)
        deepest = skips[-1] if isinstance(skips, (list, tuple)) else skips
        return torch.sigmoid(self.saliency_head(deepest)), torch.flatten(deepest, 2).amax(-1)

    def aggregate(self, maps: torch.Tensor, features: torch.Tensor, k: int,
                  aggregation: str) -> tuple[torch.Tensor, torch.Tensor]:
        """Image scores y_l (B, classes) and representation z_l (B, D) of the B images' K patches each."""
        if aggregation not in AGGREGATIONS:
            raise ValueError(f"unknown patch aggregation '{aggregation}' (choose from {AGGREGATIONS})")
        b = maps.shape[0] // k
        z = features.reshape(b, k, -1)
        alpha = self.attention(z)
        z_l = (alpha[..., None] * z).sum(1)
        if aggregation == "concat":
            bag = maps.reshape(b, k, maps.shape[1], -1).transpose(1, 2)  # (B, classes, K, voxels)
            return top_t_pool(bag, self.top_t), z_l
        per_patch = top_t_pool(maps, self.top_t).reshape(b, k, -1)
        return (alpha[..., None] * per_patch).sum(1), z_l
