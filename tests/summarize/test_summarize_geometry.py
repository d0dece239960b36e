"""Lesion statistics on known geometry and voxel -> world against SimpleITK."""
from __future__ import annotations

import math

import numpy as np
import pytest
import SimpleITK as sitk

from segcls3d.errors import InputDataError
from segcls3d.summarize import ImageGeometry, lesion_statistics, voxel_volume_mm3


def _ball(shape, spacing, centre_mm, radius_mm):
    grids = np.meshgrid(*[np.arange(n) * s for n, s in zip(shape, spacing)], indexing="ij")
    return sum((g - c) ** 2 for g, c in zip(grids, centre_mm)) <= radius_mm**2


@pytest.mark.parametrize("spacing", [(1.0, 1.0, 1.0), (2.0, 1.0, 0.5), (3.0, 0.7, 0.7)])
def test_ball_volume_components_centroid(spacing):
    radius = 8.0
    shape = tuple(int(math.ceil(40 / s)) + 1 for s in spacing)
    centre_index = tuple(n // 2 for n in shape)
    centre_mm = tuple(i * s for i, s in zip(centre_index, spacing))
    mask = _ball(shape, spacing, centre_mm, radius)
    volume, components, centroid = lesion_statistics(mask, spacing)
    n_voxels = int(mask.sum())
    assert volume == pytest.approx(n_voxels * math.prod(spacing))
    assert volume == pytest.approx(4 / 3 * math.pi * radius**3, rel=0.08)  # voxelised ball
    assert components == 1
    assert centroid == pytest.approx(centre_index)  # symmetric ball: centre exactly


def test_two_blobs_components_and_weighted_centroid():
    mask = np.zeros((10, 12, 14), dtype=bool)
    mask[1:3, 1:3, 1:3] = True  # 8 voxels, centre (1.5, 1.5, 1.5)
    mask[6:9, 7:10, 9:12] = True  # 27 voxels, centre (7, 8, 10)
    volume, components, centroid = lesion_statistics(mask, (2.0, 1.0, 1.0))
    assert volume == 2.0 * 35
    assert components == 2
    expected = (np.array([1.5, 1.5, 1.5]) * 8 + np.array([7.0, 8.0, 10.0]) * 27) / 35
    assert centroid == pytest.approx(tuple(expected))


def test_full_connectivity_joins_corner_neighbours():
    mask = np.zeros((4, 4, 4), dtype=np.uint8)
    mask[0, 0, 0] = mask[1, 1, 1] = mask[2, 2, 2] = 1  # touch only at corners
    mask[3, 3, 0] = 1  # isolated
    assert lesion_statistics(mask, (1, 1, 1))[1] == 2


def test_empty_mask():
    assert lesion_statistics(np.zeros((3, 4, 5), bool), (1, 1, 1)) == (0.0, 0, None)


def test_single_slice_2d_counts_area_and_ignores_placeholder_spacing():
    mask = np.zeros((1, 20, 30), dtype=bool)
    mask[0, 2:6, 3:8] = True  # 20 pixels
    mask[0, 10, 20] = True
    mask[0, 11, 21] = True  # diagonal neighbour: same component (8-connectivity)
    volume, components, centroid = lesion_statistics(mask, (999.0, 0.5, 0.25))
    assert volume == pytest.approx(22 * 0.5 * 0.25)
    assert components == 2
    ys, xs = np.nonzero(mask[0])
    assert centroid == pytest.approx((0.0, ys.mean(), xs.mean()))
    assert voxel_volume_mm3((1, 20, 30), (999.0, 0.5, 0.25)) == pytest.approx(0.125)
    assert voxel_volume_mm3((2, 20, 30), (3.0, 0.5, 0.25)) == pytest.approx(0.375)


@pytest.mark.parametrize("spacing", [(1.0, 1.0), (1.0, 0.0, 1.0), (1.0, float("nan"), 1.0)])
def test_bad_spacing_raises(spacing):
    with pytest.raises(InputDataError, match="spacing"):
        lesion_statistics(np.ones((2, 2, 2), bool), spacing)


def _oblique_image():
    img = sitk.Image(7, 6, 5, sitk.sitkUInt8)  # x, y, z sizes -> numpy (5, 6, 7)
    img.SetOrigin((-12.5, 40.0, 3.25))
    img.SetSpacing((0.8, 1.3, 2.5))
    a, b = math.radians(30), math.radians(-20)
    rz = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
    img.SetDirection(tuple((rz @ rx).ravel()))
    return img


@pytest.mark.parametrize("index_zyx", [(0.0, 0.0, 0.0), (1.0, 2.0, 3.0), (4.0, 5.5, 6.25), (2.3, 0.1, 0.0)])
def test_voxel_to_world_matches_simpleitk_oblique(index_zyx):
    img = _oblique_image()
    geometry = ImageGeometry.from_sitk_image(img)
    expected = img.TransformContinuousIndexToPhysicalPoint(tuple(reversed(index_zyx)))
    assert geometry.voxel_to_world(index_zyx) == pytest.approx(expected, abs=1e-9)


def test_from_file_reads_header(tmp_path):
    img = _oblique_image()
    path = tmp_path / "img.nii.gz"
    sitk.WriteImage(img, str(path))
    geometry = ImageGeometry.from_file(path)
    written = sitk.ReadImage(str(path))
    assert geometry == ImageGeometry.from_sitk_image(written)
    assert geometry.spacing_zyx == pytest.approx((2.5, 1.3, 0.8))
    point = written.TransformContinuousIndexToPhysicalPoint((3.0, 2.0, 1.0))
    assert geometry.voxel_to_world((1.0, 2.0, 3.0)) == pytest.approx(point, abs=1e-6)


def test_from_file_errors(tmp_path):
    with pytest.raises(InputDataError, match="not found"):
        ImageGeometry.from_file(tmp_path / "missing.nii.gz")
    bad = tmp_path / "bad.nii.gz"
    bad.write_bytes(b"not an image")
    with pytest.raises(InputDataError, match="bad.nii.gz"):
        ImageGeometry.from_file(bad)


def test_geometry_validation():
    with pytest.raises(ValueError, match="direction"):
        ImageGeometry((0, 0, 0), (1, 1, 1), (1, 0, 0, 1))
    with pytest.raises(ValueError, match="3D"):
        ImageGeometry((0, 0, 0), (1, 1, 1), np.eye(3)).voxel_to_world((1.0, 2.0))
