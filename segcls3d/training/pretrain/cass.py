"""CASS (Singh et al. 2022, S4MI): the plan's CNN encoder and a transformer trained to agree on the same image.

Both networks embed the same augmented view; a projection head each (lightly's ``SimCLRProjectionHead``
without batch norm, so batches of 2 work) maps the embeddings to a common space, and the loss is
``2 - 2 cos(cnn, transformer)`` (``2 + 2 * lightly's NegativeCosineSimilarity``): no teacher, no negatives;
the two architectures' different inductive biases are the asymmetry. The CNN's encoder is exported.
"""
from __future__ import annotations

from typing import Sequence

import torch
from lightly.loss import NegativeCosineSimilarity
from lightly.models.modules import SimCLRProjectionHead
from torch import nn

from segcls3d.training.pretrain.embedding import EncoderEmbedding, ViTEmbedding
from segcls3d.training.pretrain.settings import TRANSFORMER_SIZES, PretrainSettings


def cass_loss(cnn: torch.Tensor, transformer: torch.Tensor) -> torch.Tensor:
    """``2 - 2 * mean cosine similarity`` of two (B, D) embeddings: 0 when aligned, 2 when orthogonal.

    Example:
        >>> round(float(cass_loss(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 3.0]]))), 6)
        2.0
        >>> round(float(cass_loss(torch.tensor([[1.0, 1.0]]), torch.tensor([[2.0, 2.0]]))), 6)
        0.0
    """
    return 2 + 2 * NegativeCosineSimilarity()(cnn, transformer)


class CASS(nn.Module):
    """CNN encoder + MONAI ViT, each with a projection head, pulled together on the same view."""

    def __init__(self, encoder: nn.Module, in_channels: int, view_size: Sequence[int], settings: PretrainSettings):
        super().__init__()
        self.settings = settings
        self.cnn = EncoderEmbedding(encoder)
        hidden, layers, heads = TRANSFORMER_SIZES[settings.transformer_size]
        self.transformer = ViTEmbedding(in_channels, view_size, hidden, layers, heads, settings.transformer_patch)
        dim = settings.embedding_dim
        self.cnn_head = SimCLRProjectionHead(self.cnn.dim, dim, dim, batch_norm=False)
        self.transformer_head = SimCLRProjectionHead(self.transformer.dim, dim, dim, batch_norm=False)

    def forward(self, views: Sequence[torch.Tensor], step: int, total_steps: int) -> torch.Tensor:
        """The CASS loss on the first view (one view per image)."""
        x = views[0]
        return cass_loss(self.cnn_head(self.cnn(x)).float(), self.transformer_head(self.transformer(x)).float())

    def after_backward(self, epoch: int) -> None:
        """Nothing to adjust between backward and step."""

    def after_step(self, step: int, total_steps: int) -> None:
        """No teacher to update."""

    def exported_encoder(self) -> nn.Module:
        return self.cnn.encoder
