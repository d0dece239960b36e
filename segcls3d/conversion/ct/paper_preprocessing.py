"""The SPINE preprocessing of Hooper et al. 2023 (optional; default is native resolution).

Bone window, scaling to [0, 1], each axial slice resized to 128 x 128 (bilinear) and the slice
axis resampled to 128 slices around the spine. "Axial" is the slice axis of the volume (array
axis 0), which is the axial direction for the axially acquired RSNA series. The target is resampled
with nearest neighbour onto the same grid.
"""

from __future__ import annotations

import numpy as np

from segcls3d.errors import InputDataError

BONE_WINDOW = (400.0, 1800.0)  # (level, width) in HU


def bone_window(ct, level: float = BONE_WINDOW[0], width: float = BONE_WINDOW[1]):
    """Clip to ``[level - width/2, level + width/2]`` HU and scale to [0, 1] (float32 image)."""
    import SimpleITK as sitk

    low = level - width / 2.0
    array = sitk.GetArrayViewFromImage(ct).astype(np.float32)
    scaled = np.clip((array - low) / width, 0.0, 1.0).astype(np.float32)
    result = sitk.GetImageFromArray(scaled)
    result.CopyInformation(ct)
    return result


def spine_slice_range(level_map, level_ids, margin_mm: float = 10.0, case_id: str = "?") -> tuple[int, int]:
    """First and last slice index (axis 0) containing the given vertebra ids, plus a margin.

    Raises:
        InputDataError: none of the vertebrae is in the level map.
    """
    import SimpleITK as sitk

    array = sitk.GetArrayViewFromImage(level_map)
    slices = np.flatnonzero(np.isin(array, list(level_ids)).any(axis=(1, 2)))
    if slices.size == 0:
        raise InputDataError(f"case {case_id}: no vertebra of the spine in the segmentation; cannot crop around it")
    margin = int(round(margin_mm / level_map.GetSpacing()[2]))
    return max(0, int(slices[0]) - margin), min(array.shape[0] - 1, int(slices[-1]) + margin)


def resample_around_spine(image, target, z_range: tuple[int, int], size: tuple[int, int, int] = (128, 128, 128)):
    """Resample image (linear) and target (nearest) to ``size`` (x, y, z) over the full slice and z_range.

    The physical extent is kept (voxel edges of the new grid coincide with those of the old).
    """
    import SimpleITK as sitk

    z0, z1 = z_range
    old_size = np.array(image.GetSize(), dtype=float)
    old_spacing = np.array(image.GetSpacing(), dtype=float)
    extent = old_size * old_spacing
    extent[2] = (z1 - z0 + 1) * old_spacing[2]
    new_spacing = extent / np.array(size, dtype=float)
    direction = np.array(image.GetDirection()).reshape(3, 3)
    # first old voxel centre of the crop, then shift to the first new voxel centre (half-voxel edges)
    start = np.array(image.TransformIndexToPhysicalPoint((0, 0, int(z0))))
    origin = start + direction @ ((new_spacing - old_spacing) / 2.0)
    reference = sitk.Image([int(s) for s in size], sitk.sitkFloat32)
    reference.SetSpacing(tuple(new_spacing))
    reference.SetOrigin(tuple(origin))
    reference.SetDirection(image.GetDirection())
    new_image = sitk.Resample(image, reference, sitk.Transform(), sitk.sitkLinear, 0.0, sitk.sitkFloat32)
    new_target = None
    if target is not None:
        new_target = sitk.Resample(target, reference, sitk.Transform(), sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8)
    return new_image, new_target
