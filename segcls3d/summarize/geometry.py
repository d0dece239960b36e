"""Image geometry (voxel -> world) and per-class lesion statistics of a binary mask.

Arrays are in SimpleITK/nnU-Net numpy order (z, y, x) and ``spacing`` follows the array axes;
``ImageGeometry`` stores SimpleITK's own (x, y, z) order, as its ``_xyz`` names say.

2D images are single-slice volumes (1, H, W) whose singleton axis carries a placeholder spacing
(999 by the project convention). An axis of size 1 therefore never counts in a volume: for such
arrays ``volume_mm3`` is the area in mm^2 (see :func:`voxel_volume_mm3`).
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import numpy as np
from scipy import ndimage

from segcls3d.errors import InputDataError
from segcls3d.io.image_header import read_image_header

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImageGeometry:
    """Physical placement of an image grid, in SimpleITK (ITK) conventions.

    Attributes:
        origin_xyz: world position (mm) of voxel index (0, 0, 0).
        spacing_xyz: voxel size (mm) along x, y, z.
        direction: direction cosines, row-major ``dim x dim`` (as ``sitk.Image.GetDirection()``).

    Example:
        >>> g = ImageGeometry((10.0, 0.0, 0.0), (1.0, 1.0, 2.0), (1, 0, 0, 0, 1, 0, 0, 0, 1))
        >>> g.voxel_to_world((1.0, 0.0, 0.0))  # index (z, y, x)
        (10.0, 0.0, 2.0)
    """

    origin_xyz: tuple[float, ...]
    spacing_xyz: tuple[float, ...]
    direction: tuple[float, ...]

    def __post_init__(self) -> None:
        dim = len(self.origin_xyz)
        object.__setattr__(self, "origin_xyz", tuple(float(v) for v in self.origin_xyz))
        object.__setattr__(self, "spacing_xyz", tuple(float(v) for v in self.spacing_xyz))
        object.__setattr__(self, "direction", tuple(float(v) for v in np.ravel(self.direction)))
        if len(self.spacing_xyz) != dim or len(self.direction) != dim * dim:
            raise ValueError(
                f"ImageGeometry: origin has {dim} values, so spacing needs {dim} and direction "
                f"{dim * dim}; got {len(self.spacing_xyz)} and {len(self.direction)}"
            )

    @property
    def ndim(self) -> int:
        """Number of image dimensions."""
        return len(self.origin_xyz)

    @property
    def spacing_zyx(self) -> tuple[float, ...]:
        """Spacing in numpy array order."""
        return tuple(reversed(self.spacing_xyz))

    @classmethod
    def from_sitk_image(cls, img: Any) -> "ImageGeometry":
        """Geometry of a ``SimpleITK.Image`` (or an ``ImageFileReader`` after ReadImageInformation)."""
        return cls(tuple(img.GetOrigin()), tuple(img.GetSpacing()), tuple(img.GetDirection()))

    @classmethod
    def from_file(cls, path: Union[str, Path]) -> "ImageGeometry":
        """Read only the header of an image file.

        Raises:
            InputDataError: the file is missing or SimpleITK cannot read its header.
        """
        return cls.from_sitk_image(read_image_header(path))

    def voxel_to_world(self, index_zyx: Sequence[float]) -> tuple[float, ...]:
        """Continuous voxel index (z, y, x) -> world point (x, y, z) in mm.

        Same result as ``TransformContinuousIndexToPhysicalPoint`` of SimpleITK:
        ``origin + direction @ (spacing * index_xyz)``.

        Raises:
            ValueError: the index does not have one value per image dimension.
        """
        if len(index_zyx) != self.ndim:
            raise ValueError(
                f"voxel_to_world: index {tuple(index_zyx)} has {len(index_zyx)} values, image is {self.ndim}D"
            )
        index_xyz = np.asarray(index_zyx, dtype=np.float64)[::-1]
        direction = np.asarray(self.direction, dtype=np.float64).reshape(self.ndim, self.ndim)
        point = np.asarray(self.origin_xyz) + direction @ (np.asarray(self.spacing_xyz) * index_xyz)
        return tuple(float(v) for v in point)


def geometry_from_properties(properties: dict) -> Optional[ImageGeometry]:
    """ImageGeometry from nnU-Net's image properties (SimpleITK reader), or None for other readers."""
    sitk = properties.get("sitk_stuff")
    if not sitk:
        return None
    return ImageGeometry(origin_xyz=tuple(sitk["origin"]), spacing_xyz=tuple(sitk["spacing"]),
                         direction=tuple(sitk["direction"]))


def voxel_volume_mm3(shape: Sequence[int], spacing: Sequence[float]) -> float:
    """Volume of one voxel: product of the spacings of the axes longer than 1.

    Singleton axes are skipped so that a 2D single-slice image (placeholder spacing 999 on its
    singleton axis) gets the pixel area in mm^2. An array with only singleton axes gives 1.0
    for those axes (the product of nothing).

    Raises:
        InputDataError: ``spacing`` does not have one positive finite value per array axis.
    """
    check_spacing(shape, spacing)
    return float(math.prod(float(s) for n, s in zip(shape, spacing) if n != 1))


def check_spacing(shape: Sequence[int], spacing: Sequence[float]) -> None:
    """Raise InputDataError unless ``spacing`` has one positive finite value per axis of ``shape``."""
    if len(spacing) != len(shape):
        raise InputDataError(
            f"spacing {tuple(spacing)} has {len(spacing)} values but the array has shape {tuple(shape)}"
        )
    if not all(math.isfinite(float(s)) and float(s) > 0 for s in spacing):
        raise InputDataError(f"spacing {tuple(spacing)} must be positive and finite")


def lesion_statistics(
    binary: np.ndarray, spacing: Sequence[float]
) -> tuple[float, int, Optional[tuple[float, ...]]]:
    """Volume, number of connected components and centroid of a binary mask.

    Components use full connectivity (26 in 3D, 8 in 2D slices). The centroid is the centre of
    mass of all foreground voxels (not of the largest component), in voxel index order (z, y, x).

    Args:
        binary: boolean (or 0/1) mask, e.g. (D, H, W) or a single slice (1, H, W).
        spacing: voxel spacing in the array's axis order; see :func:`voxel_volume_mm3` for 2D.

    Returns:
        ``(volume_mm3, n_components, centroid_voxel_zyx)``; the centroid is None if the mask is empty.

    Raises:
        InputDataError: spacing does not match the array.

    Example:
        >>> m = np.zeros((1, 5, 5), bool); m[0, 1, 1] = m[0, 3, 3] = True
        >>> lesion_statistics(m, (999.0, 0.5, 0.5))
        (0.5, 2, (0.0, 2.0, 2.0))
    """
    binary = np.asarray(binary)
    if binary.dtype != bool:
        binary = binary != 0
    volume_per_voxel = voxel_volume_mm3(binary.shape, spacing)
    n_voxels = int(np.count_nonzero(binary))
    if n_voxels == 0:
        return 0.0, 0, None
    structure = ndimage.generate_binary_structure(binary.ndim, binary.ndim)
    _, n_components = ndimage.label(binary, structure=structure)
    return n_voxels * volume_per_voxel, int(n_components), _centroid(binary, n_voxels)


def _centroid(binary: np.ndarray, n_voxels: int) -> tuple[float, ...]:
    """Centre of mass from per-axis projections (no full-size index or float arrays)."""
    centre = []
    for axis in range(binary.ndim):
        others = tuple(a for a in range(binary.ndim) if a != axis)
        profile = np.count_nonzero(binary, axis=others) if others else binary.astype(np.int64)
        centre.append(float(np.dot(np.arange(binary.shape[axis], dtype=np.float64), profile) / n_voxels))
    return tuple(centre)
