"""Gated attention over a bag of instances (Ilse et al. 2018), GLAM's attention-based patch aggregation.

``a_k = w^T (tanh(V z_k) * sigmoid(U z_k))``, ``alpha = softmax_k(a)``: weights in [0, 1] that sum to 1
over the K patches of an image.
"""
from __future__ import annotations

import torch
from torch import nn


class GatedAttention(nn.Module):
    """(B, K, D) instance features -> (B, K) attention weights."""

    def __init__(self, in_features: int, hidden: int = 128):
        super().__init__()
        self.value = nn.Linear(in_features, hidden)
        self.gate = nn.Linear(in_features, hidden)
        self.weight = nn.Linear(hidden, 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        scores = self.weight(torch.tanh(self.value(features)) * torch.sigmoid(self.gate(features)))
        return torch.softmax(scores.squeeze(-1), dim=1)
