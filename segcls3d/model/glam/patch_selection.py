"""Greedy patch selection (GLAM Algorithm 1, as in GMIC): the K boxes with the most saliency, 2D or 3D.

Each class map is min-max normalised and the classes are summed; then, K times, the box of the
patch size with the largest sum is taken. A box never overlaps an earlier one while a
non-overlapping position is left (the paper zeroes the chosen region, which still lets a later box
cut into it); only when the image has no room left does the paper's rule apply (the best box on the
map with the chosen regions zeroed). Boxes are returned as start indices on the map's grid, which is
the input's grid: the network upsamples the global map to the input before selecting.

Example:
    >>> import torch
    >>> s = torch.zeros(1, 6, 6); s[0, 4:6, 1:3] = 1.0; s[0, 0:2, 0:2] = 0.5
    >>> select_patches(s, (2, 2), 2)
    [(4, 1), (0, 0)]
"""
from __future__ import annotations

import itertools
from typing import Optional, Sequence

import torch
import torch.nn.functional as F

Start = tuple[int, ...]


def box_sums(values: torch.Tensor, patch: Sequence[int]) -> torch.Tensor:
    """Sum of ``values`` (any number of axes) over every box of size ``patch``, by an integral image.

    Returns a tensor of shape ``n_i - p_i + 1`` per axis; entry ``s`` is the sum over ``[s, s + patch)``.
    """
    d = values.ndim
    integral = F.pad(values.double(), (1, 0) * d)
    for axis in range(d):
        integral = integral.cumsum(axis)
    out_shape = [n - p + 1 for n, p in zip(values.shape, patch)]
    total = torch.zeros(out_shape, dtype=torch.float64, device=values.device)
    for corner in itertools.product((0, 1), repeat=d):
        index = tuple(slice(p, p + o) if c else slice(0, o) for c, p, o in zip(corner, patch, out_shape))
        total = total + (-1) ** (d - sum(corner)) * integral[index]
    return total


def check_patch(shape: Sequence[int], patch: Sequence[int]) -> None:
    """Raises ValueError when ``patch`` does not fit into ``shape``."""
    if len(shape) != len(patch) or any(p < 1 or p > n for n, p in zip(shape, patch)):
        raise ValueError(f"patch {tuple(patch)} does not fit into a map of shape {tuple(shape)}")


def combined_saliency(saliency: torch.Tensor) -> torch.Tensor:
    """(C, *spatial) -> (*spatial): each class min-max normalised, then summed (Algorithm 1, lines 2-5)."""
    flat = saliency.detach().double().flatten(1)
    low, high = flat.min(1, keepdim=True).values, flat.max(1, keepdim=True).values
    normalised = (flat - low) / torch.clamp(high - low, min=1e-12)
    return normalised.sum(0).reshape(saliency.shape[1:])


def _exclude(valid: torch.Tensor, start: Start, patch: Sequence[int]) -> None:
    """Mark every start whose box would overlap the box at ``start`` as taken."""
    valid[tuple(slice(max(0, s - p + 1), s + p) for s, p in zip(start, patch))] = False


def _unravel(index: int, shape: Sequence[int]) -> Start:
    return tuple(int(i) for i in torch.unravel_index(torch.tensor(index), tuple(shape)))


def select_patches(saliency: torch.Tensor, patch: Sequence[int], k: int) -> list[Start]:
    """Start indices of ``k`` boxes of size ``patch`` on a (C, *spatial) saliency map, best first."""
    check_patch(saliency.shape[1:], patch)
    combined = combined_saliency(saliency)
    sums = box_sums(combined, patch)
    valid = torch.ones_like(sums, dtype=torch.bool)
    starts: list[Start] = []
    for _ in range(k):
        if valid.any():
            start = _unravel(int(torch.argmax(torch.where(valid, sums, float("-inf")))), sums.shape)
        else:  # no room for another disjoint box: the paper's rule on the map with chosen boxes zeroed
            start = _unravel(int(torch.argmax(box_sums(combined, patch))), sums.shape)
        starts.append(start)
        _exclude(valid, start, patch)
        combined[tuple(slice(s, s + p) for s, p in zip(start, patch))] = 0
    return starts


def random_patches(shape: Sequence[int], patch: Sequence[int], k: int,
                   generator: Optional[torch.Generator] = None) -> list[Start]:
    """``k`` boxes drawn uniformly among the positions that do not overlap earlier ones (any, once full).

    The local module's negative examples (GLAM, App. G.2: random patches of negative images).
    """
    check_patch(shape, patch)
    valid = torch.ones([n - p + 1 for n, p in zip(shape, patch)], dtype=torch.bool)
    starts: list[Start] = []
    for _ in range(k):
        candidates = valid.flatten().nonzero().flatten()
        if len(candidates) == 0:
            candidates = torch.arange(valid.numel())
        pick = candidates[int(torch.randint(len(candidates), (1,), generator=generator))]
        start = _unravel(int(pick), valid.shape)
        starts.append(start)
        _exclude(valid, start, patch)
    return starts


def crop_patches(image: torch.Tensor, starts: Sequence[Start], patch: Sequence[int]) -> torch.Tensor:
    """(C, *spatial) image -> (K, C, *patch) crops at ``starts``."""
    return torch.stack([image[(slice(None), *(slice(s, s + p) for s, p in zip(start, patch)))] for start in starts])


def paste_patches(maps: torch.Tensor, starts: Sequence[Start], shape: Sequence[int]) -> torch.Tensor:
    """(K, C, *patch) maps -> (C, *shape): each map at its box, zero elsewhere, maximum where boxes overlap."""
    out = maps.new_zeros((maps.shape[1], *shape))
    for m, start in zip(maps, starts):
        index = (slice(None), *(slice(s, s + p) for s, p in zip(start, m.shape[1:])))
        out[index] = torch.maximum(out[index], m)
    return out
