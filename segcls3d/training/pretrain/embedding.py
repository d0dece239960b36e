"""Image embeddings for self-supervision: the plan's CNN encoder and a MONAI ViT, each pooled to a vector.

The CNN embedding is the global average of the encoder's deepest stage (the classification heads add
its maximum, :class:`segcls3d.model.heads.ClassificationHead`). The ViT (CASS's transformer) gets views
zero-padded to a multiple of its patch size (0 is the mean intensity after nnU-Net's z-scoring) and
averages its output tokens.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from monai.networks.nets import ViT
from torch import nn

from segcls3d.training.semisup.transformer import padded_size


def global_average(features: torch.Tensor) -> torch.Tensor:
    """(B, C, *spatial) -> (B, C)."""
    return torch.flatten(features, 2).mean(-1)


class EncoderEmbedding(nn.Module):
    """nnU-Net's encoder (kept as ``.encoder``, the weights that are exported) + global average pooling."""

    def __init__(self, encoder: nn.Module):
        super().__init__()
        self.encoder = encoder
        self.dim = int(encoder.output_channels[-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = self.encoder(x)
        return global_average(skips[-1] if isinstance(skips, (list, tuple)) else skips)


class ViTEmbedding(nn.Module):
    """MONAI's ViT on views padded to ``image_size`` rounded up to its patch; mean of the output tokens."""

    def __init__(self, in_channels: int, image_size: Sequence[int], hidden_size: int, num_layers: int,
                 num_heads: int, patch: int = 16):
        super().__init__()
        self.image_size = tuple(padded_size(s, patch) for s in image_size)
        self.vit = ViT(in_channels, img_size=self.image_size, patch_size=patch, hidden_size=hidden_size,
                       mlp_dim=4 * hidden_size, num_layers=num_layers, num_heads=num_heads,
                       spatial_dims=len(image_size))
        self.dim = hidden_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = [target - size for target, size in zip(self.image_size, x.shape[2:])]
        if any(p < 0 for p in pads):
            raise ValueError(f"view of size {tuple(x.shape[2:])} is larger than the ViT's {self.image_size}")
        if any(pads):
            x = F.pad(x, [p for pad in reversed(pads) for p in (0, pad)])
        tokens, _ = self.vit(x)
        return tokens.mean(1)


def embed_views(embed: Callable[[torch.Tensor], torch.Tensor], views: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """``embed`` of every view, running consecutive views of the same size as one batch.

    Example:
        >>> out = embed_views(lambda x: x.flatten(1).sum(1, keepdim=True),
        ...                   [torch.ones(2, 1, 4), torch.ones(2, 1, 4), torch.ones(2, 1, 2)])
        >>> [o.squeeze(1).tolist() for o in out]
        [[4.0, 4.0], [4.0, 4.0], [2.0, 2.0]]
    """
    out: list[torch.Tensor] = []
    start = 0
    while start < len(views):
        end = start + 1
        while end < len(views) and views[end].shape == views[start].shape:
            end += 1
        out.extend(embed(torch.cat(list(views[start:end]))).chunk(end - start))
        start = end
    return out
