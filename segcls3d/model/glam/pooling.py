"""Top-t% pooling: a class map becomes an image score, the mean of its ``t`` highest values (GLAM, App. B).

``t = 1`` is global average pooling (CAM), ``t -> 0`` max pooling. At least one value is always
kept: ``k = max(1, round(t * n))`` of the ``n`` positions.

Example:
    >>> import torch
    >>> maps = torch.tensor([[[[0.9, 0.1], [0.5, 0.3]]]])  # (batch 1, class 1, 2 x 2)
    >>> top_t_pool(maps, 0.5)  # the two highest values: (0.9 + 0.5) / 2
    tensor([[0.7000]])
"""
from __future__ import annotations

import torch


def top_t_count(n: int, t: float) -> int:
    """How many of ``n`` positions the top ``t`` fraction keeps (at least one).

    >>> top_t_count(1000, 0.03), top_t_count(10, 0.03)
    (30, 1)
    """
    if not 0.0 < t <= 1.0:
        raise ValueError(f"top-t pooling needs 0 < t <= 1, got {t}")
    return max(1, min(n, int(round(t * n))))


def top_t_pool(maps: torch.Tensor, t: float) -> torch.Tensor:
    """(B, C, *spatial) maps -> (B, C): mean of each map's top ``t`` fraction of values."""
    flat = torch.flatten(maps, 2)
    k = top_t_count(flat.shape[-1], t)
    return torch.topk(flat, k, dim=-1).values.mean(-1)
