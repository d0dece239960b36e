"""Class probability maps -> one fixed-size tensor, the input of map-based trained summarizers.

Images differ in size, a trained function needs a fixed input: each class map is average-pooled
onto a fixed grid (``torch.nn.functional.adaptive_avg_pool{2,3}d``) and the classes are stacked as
channels. Single-slice 2D images (z = 1, the project's 2D convention) use a 2D grid.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from segcls3d.errors import InputDataError

DEFAULT_GRID = {2: (32, 32), 3: (16, 16, 16)}
"""Default grid per number of spatial dimensions for ``fc`` and ``cnn``."""


def spatial_dims_of(shapes: Sequence[Sequence[int]]) -> int:
    """2 if every map is a single slice (z = 1), else 3.

    Raises:
        InputDataError: a map is not 3D (z, y, x).
    """
    for shape in shapes:
        if len(shape) != 3:
            raise InputDataError(f"class probability maps must be (z, y, x) arrays, got shape {tuple(shape)}")
    return 2 if all(shape[0] == 1 for shape in shapes) else 3


def resolve_grid(grid: Sequence[int] | int | None, spatial_dims: int) -> tuple[int, ...]:
    """A grid with one size per spatial dimension (an int is repeated; None = :data:`DEFAULT_GRID`).

    Raises:
        ValueError: wrong number of sizes or a size < 1.
    """
    if grid is None:
        return DEFAULT_GRID[spatial_dims]
    sizes = (int(grid),) * spatial_dims if isinstance(grid, (int, np.integer)) else tuple(int(g) for g in grid)
    if len(sizes) == 1:
        sizes = sizes * spatial_dims
    if len(sizes) != spatial_dims or min(sizes) < 1:
        raise ValueError(f"grid must have {spatial_dims} sizes >= 1, got {grid!r}")
    return sizes


def maps_to_grid(class_maps: Mapping[str, np.ndarray], channels: Sequence[str], grid: Sequence[int]):
    """Stack the maps of ``channels`` and average-pool them onto ``grid``: a float32 tensor (C, *grid).

    Raises:
        InputDataError: a channel's map is missing, maps differ in shape, or a 2D grid is asked for
            a map with more than one slice.
    """
    import torch
    import torch.nn.functional as F

    missing = [c for c in channels if c not in class_maps]
    if missing:
        raise InputDataError(f"no probability map for class(es) {missing} (have {sorted(class_maps)})")
    shapes = {tuple(np.shape(class_maps[c])) for c in channels}
    if len(shapes) != 1:
        raise InputDataError(f"class probability maps differ in shape: {sorted(shapes)}")
    stacked = torch.from_numpy(np.stack([np.asarray(class_maps[c], dtype=np.float32) for c in channels]))
    if len(grid) == 2:
        if stacked.shape[1] != 1:
            raise InputDataError(f"this summarizer was fitted on 2D (single-slice) images; got maps of shape "
                                 f"{tuple(stacked.shape[1:])}")
        stacked = stacked[:, 0]
    pool = F.adaptive_avg_pool2d if len(grid) == 2 else F.adaptive_avg_pool3d
    return pool(stacked[None], tuple(int(g) for g in grid))[0]
