"""Whether a predicted mask lies on the same voxel grid as its reference: size, spacing, origin, direction.

Comparing only the array shape lets a mask resampled to another spacing, or shifted, score a perfect
Dice. The headers are read without the voxels, so all pairs can be checked before any is scored.

Example:
    >>> a = MaskGrid((12, 12, 4), (1.0, 1.0, 2.5), (0.0, 0.0, 0.0), (1, 0, 0, 0, 1, 0, 0, 0, 1))
    >>> grid_difference(a, a) is None
    True
    >>> grid_difference(MaskGrid(a.size, (1.0, 1.0, 3.0), a.origin, a.direction), a)
    'spacing (1.0, 1.0, 3.0) vs (1.0, 1.0, 2.5)'
    >>> a.voxel_to_world((1.0, 0.0, 2.0)), a.voxel_volume_mm3  # index (z, y, x) -> point (x, y, z) mm
    ((2.0, 0.0, 2.5), 2.5)
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from segcls3d.errors import InputDataError
from segcls3d.io.image_header import read_image_header

#: relative tolerance for spacing and origin (origin relative to the voxel size), absolute for direction
GEOMETRY_RTOL = 1e-4


@dataclass(frozen=True)
class MaskGrid:
    """The voxel grid of an image in SimpleITK order (x, y, z): size, spacing, origin, direction."""

    size: tuple[int, ...]
    spacing: tuple[float, ...]
    origin: tuple[float, ...]
    direction: tuple[float, ...]

    @property
    def voxel_volume_mm3(self) -> float:
        """Volume of one voxel: product of the spacings of the axes longer than 1.

        As in ``segcls3d.summarize.geometry``: a single-slice 2D image (placeholder spacing on its
        singleton axis) gets the pixel area in mm^2.
        """
        return float(math.prod(s for n, s in zip(self.size, self.spacing) if n != 1))

    def voxel_to_world(self, index_zyx: Sequence[float]) -> tuple[float, ...]:
        """Continuous voxel index (z, y, x) -> world point (x, y, z) in mm: ``origin + D @ (spacing * index_xyz)``.

        The same as SimpleITK's ``TransformContinuousIndexToPhysicalPoint``.
        """
        ndim = len(self.origin)
        index_xyz = np.asarray(index_zyx, dtype=np.float64)[::-1]
        direction = np.asarray(self.direction, dtype=np.float64).reshape(ndim, ndim)
        point = np.asarray(self.origin) + direction @ (np.asarray(self.spacing) * index_xyz)
        return tuple(float(v) for v in point)


def read_grid(path: Path) -> MaskGrid:
    """The grid of an image file, read from its header only.

    Raises:
        InputDataError: the file cannot be read.
    """
    reader = read_image_header(path, "mask")
    return MaskGrid(tuple(int(n) for n in reader.GetSize()), tuple(float(s) for s in reader.GetSpacing()),
                    tuple(float(o) for o in reader.GetOrigin()), tuple(float(d) for d in reader.GetDirection()))


def grid_difference(pred: MaskGrid, gt: MaskGrid, rtol: float = GEOMETRY_RTOL) -> Optional[str]:
    """None when both grids agree within ``rtol``, else what differs (``"<field> <pred> vs <gt>"``)."""
    if pred.size != gt.size:
        return f"shape (x, y, z) {pred.size} vs {gt.size}"
    if not np.allclose(pred.spacing, gt.spacing, rtol=rtol, atol=0.0):
        return f"spacing {pred.spacing} vs {gt.spacing}"
    voxel = max(max(abs(s) for s in gt.spacing), 1e-12)
    if not np.allclose(pred.origin, gt.origin, rtol=rtol, atol=rtol * voxel):
        return f"origin {pred.origin} vs {gt.origin}"
    if not np.allclose(pred.direction, gt.direction, rtol=0.0, atol=rtol):
        return f"direction {pred.direction} vs {gt.direction}"
    return None


def check_grids(pairs: dict[str, tuple[Path, Path]]) -> dict[str, MaskGrid]:
    """Check that every predicted mask lies on its reference's grid; report all that do not at once.

    Args:
        pairs: case -> (predicted mask, reference mask).

    Returns case -> the reference grid (spacing and placement for sizes in mm^3 and world coordinates).

    Raises:
        InputDataError: some pairs differ in shape, spacing, origin or direction; the message names
            every such case (not scored) with what differs and both files of the first one.
    """
    bad: dict[str, str] = {}
    grids: dict[str, MaskGrid] = {}
    for case, (pred_path, gt_path) in pairs.items():
        grids[case] = read_grid(gt_path)
        diff = grid_difference(read_grid(pred_path), grids[case])
        if diff is not None:
            bad[case] = diff
    if not bad:
        return grids
    first = next(iter(bad))
    listed = "; ".join(f"case '{c}': {d}" for c, d in list(bad.items())[:10])
    more = f" (and {len(bad) - 10} more)" if len(bad) > 10 else ""
    raise InputDataError(
        f"{len(bad)} predicted mask(s) do not lie on the grid of their ground truth, so their Dice would be "
        f"meaningless (not scored): {listed}{more}; e.g. predicted {pairs[first][0]} vs ground truth "
        f"{pairs[first][1]} (resample the predictions to the reference grid, or check the folders)"
    )
