"""The transformer of cross teaching: MONAI's SwinUNETR (or UNETR) for nnU-Net's patch size.

SwinUNETR needs every spatial size divisible by 32 (patch size 2, five halvings) and, because its
deepest blocks use instance normalization, at least 64 (a 1-voxel feature map has no variance);
UNETR needs multiples of its 16-voxel patch and at least 32. nnU-Net's plans choose patch sizes
divisible by 2**(number of poolings), often not by 32; :class:`PadToMultiple` zero-pads the input
(0 = the mean intensity after nnU-Net's z-score normalization) up to the next valid size and crops
the output back, so any plan works (small patches cost the compute of the padded size).
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from segcls3d.errors import SegCls3dError

TRANSFORMERS = ("swinunetr", "unetr")


def padded_size(size: int, multiple: int, minimum: int = 0) -> int:
    """Smallest multiple of ``multiple`` that is >= ``size`` and >= ``minimum``."""
    return int(max(math.ceil(size / multiple) * multiple, math.ceil(minimum / multiple) * multiple))


class PadToMultiple(nn.Module):
    """Run ``module`` on the input zero-padded (at the end of each axis) to :func:`padded_size`."""

    def __init__(self, module: nn.Module, multiple: int, minimum: int = 0):
        super().__init__()
        self.module = module
        self.multiple = int(multiple)
        self.minimum = int(minimum)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        spatial = x.shape[2:]
        pads = [padded_size(s, self.multiple, self.minimum) - s for s in spatial]
        if any(pads):
            x = F.pad(x, [p for pad in reversed(pads) for p in (0, pad)])
        y = self.module(x)
        return y[(slice(None), slice(None), *[slice(0, s) for s in spatial])] if any(pads) else y


def build_transformer(name: str, in_channels: int, out_channels: int, patch_size: Sequence[int],
                      feature_size: Optional[int] = None) -> nn.Module:
    """A SwinUNETR/UNETR for (B, in_channels, *patch_size) -> (B, out_channels, *patch_size) logits.

    Raises:
        SegCls3dError: unknown ``name``; ``feature_size`` not usable by SwinUNETR (multiple of 12).
    """
    from monai.networks.nets import UNETR, SwinUNETR

    dims = len(patch_size)
    if name == "swinunetr":
        size = 24 if feature_size is None else int(feature_size)
        if size % 12:
            raise SegCls3dError(f"SwinUNETR feature size must be a multiple of 12, got {size}")
        return PadToMultiple(SwinUNETR(in_channels, out_channels, feature_size=size, spatial_dims=dims), 32, 64)
    if name == "unetr":
        padded = [padded_size(p, 16, 32) for p in patch_size]
        size = 16 if feature_size is None else int(feature_size)
        net = UNETR(in_channels, out_channels, img_size=padded, feature_size=size, spatial_dims=dims)
        return PadToMultiple(net, 16, 32)
    raise SegCls3dError(f"unknown transformer '{name}' (choose from {', '.join(TRANSFORMERS)})")
