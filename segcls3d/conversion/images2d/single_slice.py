"""2D images as single-slice volumes, the way nnU-Net plans a 2d configuration for them.

A 2D image of shape (H, W) becomes a SimpleITK volume whose numpy array is (1, H, W) [z, y, x],
with spacing ``(column, row, 999)`` in SimpleITK's x, y, z order: the singleton axis gets the
largest spacing, so nnU-Net puts it first and plans 2D patches of size (H, W) rather than
``(576, 1)``. Origin is 0 and direction identity. A colour image becomes three volumes (one per
channel file ``_0000``, ``_0001``, ``_0002``); a mask becomes a uint8 label volume on the same grid.

Example:
    >>> import numpy as np
    >>> vols = single_slice_channels(np.zeros((4, 5, 3), np.uint8), (0.5, 0.25))
    >>> len(vols), vols[0].GetSize(), vols[0].GetSpacing()
    (3, (5, 4, 1), (0.25, 0.5, 999.0))
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from segcls3d.errors import InputDataError

SLICE_SPACING = 999.0


def single_slice_volume(array2d: np.ndarray, spacing: Sequence[float]):
    """One (H, W) array as a SimpleITK volume of size (W, H, 1) and spacing (col, row, 999).

    Args:
        array2d: (H, W) pixels.
        spacing: (row, column) spacing in mm; both must be below 999.

    Raises:
        ValueError: the array is not 2D or the spacing is not positive and below 999.
    """
    import SimpleITK as sitk

    if array2d.ndim != 2:
        raise ValueError(f"expected an (H, W) array, got shape {array2d.shape}")
    row, col = (float(s) for s in spacing)
    if not (0 < row < SLICE_SPACING and 0 < col < SLICE_SPACING):
        raise ValueError(f"pixel spacing {spacing} must be positive and below {SLICE_SPACING}")
    array = np.ascontiguousarray(array2d)
    if array.dtype == np.bool_:
        array = array.astype(np.uint8)
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    image = sitk.GetImageFromArray(array[None])
    image.SetSpacing((col, row, SLICE_SPACING))
    return image


def single_slice_channels(array: np.ndarray, spacing: Sequence[float]) -> list:
    """(H, W) -> one volume; (H, W, C) -> C volumes, one per channel file."""
    if array.ndim == 2:
        return [single_slice_volume(array, spacing)]
    if array.ndim == 3:
        return [single_slice_volume(array[..., c], spacing) for c in range(array.shape[2])]
    raise ValueError(f"expected an (H, W) or (H, W, C) array, got shape {array.shape}")


def single_slice_mask(mask: np.ndarray, image_shape: tuple[int, int], spacing: Sequence[float], case_id: str):
    """A label map (H, W) as a uint8 single-slice volume on the image grid.

    Raises:
        InputDataError: the mask size differs from the image size, or it has values outside 0..255
            or that are not integers.
    """
    if mask.ndim != 2 or tuple(mask.shape) != tuple(image_shape):
        raise InputDataError(
            f"case {case_id}: mask size {tuple(mask.shape)} (rows, columns) does not match the image size "
            f"{tuple(image_shape)}"
        )
    if mask.dtype != np.uint8:
        if mask.size and (mask.min() < 0 or mask.max() > 255 or not np.array_equal(mask, np.round(mask))):
            raise InputDataError(f"case {case_id}: mask values must be integers 0..255 (found {np.unique(mask)[:10]})")
        mask = mask.astype(np.uint8)
    return single_slice_volume(mask, spacing)
