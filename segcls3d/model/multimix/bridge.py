"""MultiMix's saliency bridge (Haque et al. 2021, Sec. 2.3 and Table 5): pieces on tensors and modules.

The classification branch's saliency (the input gradient of each class score) is joined with the
input image, down-sampled to the resolution of the decoder's first stage, and concatenated with
that stage's inputs (the up-sampled bottleneck and the skip). The authors' first decoder
convolution takes 256 + 128 + 2 channels for this reason; :func:`widen_first_decoder_stage` gives
nnU-Net's decoder the extra input channels.

Example:
    >>> import torch
    >>> image = torch.zeros(1, 1, 4, 4)
    >>> saliency = torch.ones(1, 1, 4, 4)
    >>> bridge_features(image, saliency, (2, 2)).shape
    torch.Size([1, 2, 2, 2])
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from segcls3d.model.saliency.input_gradient import input_gradient

EPSILON = 1e-12


def class_saliency(scores: torch.Tensor, image: torch.Tensor, create_graph: bool = False) -> torch.Tensor:
    """(B, n_classes, *spatial) saliency of each class score: ``|d score_c / d image|``, max over channels.

    Each map is divided by its maximum (per sample and class), so the decoder sees values in [0, 1]
    whatever the size of the gradients; a map that is zero everywhere stays zero. The absolute value
    makes the map the same for the score and its complement (a sigmoid class predicted negative has
    the saliency of its negative evidence), as the authors' ``grad.abs()``.

    Args:
        scores: (B, n_classes) class logits computed from ``image``.
        image: (B, C, *spatial) network input that requires grad.
        create_graph: keep the maps differentiable (the bridge then trains the head and the encoder too).
    """
    maps = [input_gradient(scores[:, c], image, create_graph).abs().amax(1) for c in range(scores.shape[1])]
    saliency = torch.stack(maps, 1).float()
    peak = saliency.flatten(2).amax(-1).clamp_min(EPSILON)
    return saliency / peak.reshape(*peak.shape, *([1] * (saliency.ndim - 2)))


def bridge_features(image: torch.Tensor, saliency: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """``cat(image, saliency)`` down-sampled to ``size`` by area averaging (B, C + n_classes, *size)."""
    joined = torch.cat([image, saliency.to(image.dtype)], 1)
    if tuple(joined.shape[2:]) == tuple(size):
        return joined
    return F.interpolate(joined, size=tuple(int(s) for s in size), mode="area")


def with_bridge(skips: Sequence[torch.Tensor], bridge: torch.Tensor) -> list[torch.Tensor]:
    """Encoder skips with ``bridge`` appended (channels) to the skip the decoder's first stage reads.

    nnU-Net's ``UNetDecoder`` concatenates the up-sampled bottleneck with ``skips[-2]`` before its first
    stage, so the stage sees ``cat(up(bottleneck), skips[-2], bridge)``: the paper's concatenation.
    """
    skips = list(skips)
    skips[-2] = torch.cat([skips[-2], bridge.to(skips[-2].dtype)], 1)
    return skips


def widen_first_decoder_stage(decoder: nn.Module, extra_channels: int,
                              initialize: Optional[Callable[[nn.Module], None]] = None) -> None:
    """Give the first convolution of nnU-Net's first decoder stage ``extra_channels`` more inputs (in place).

    The new convolution has the old one's kernel, stride, padding and bias and is initialized with
    ``initialize`` (the network's own initializer, e.g. ``PlainConvUNet.initialize``) when given.

    Raises:
        TypeError: ``decoder`` is not built of dynamic_network_architectures' stacked conv blocks.
    """
    try:
        block = decoder.stages[0].convs[0]
        old = block.conv
        sequence = block.all_modules
    except (AttributeError, IndexError, TypeError):
        raise TypeError(f"{type(decoder).__name__}: the saliency bridge needs nnU-Net's UNetDecoder "
                        "(stages[0].convs[0].conv); use plans with PlainConvUNet or ResidualEncoderUNet") from None
    if not isinstance(old, nn.modules.conv._ConvNd) or sequence[0] is not old:
        raise TypeError(f"{type(decoder).__name__}: unexpected first decoder block {type(block).__name__}")
    new = type(old)(old.in_channels + extra_channels, old.out_channels, old.kernel_size, old.stride, old.padding,
                    old.dilation, old.groups, old.bias is not None, old.padding_mode)
    if initialize is not None:
        initialize(new)
    block.conv = new
    sequence[0] = new
    block.input_channels = new.in_channels
