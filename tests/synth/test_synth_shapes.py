"""Voxelised shapes and object kinds: volumes, connectivity, anisotropy, hardness order."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import ndimage

from segcls3d.synth.kinds import LEVELS, TARGET_LEVEL, distractor_kinds, max_distractor_kinds, target_kind
from segcls3d.synth.shapes import draw_shape, shape_by_name, shapes_for, unit_ball_volume


def _full(shape, centre, radius, scale, axis, grid):
    slices, inside = draw_shape(shape, centre, radius, scale, axis, grid)
    out = np.zeros(grid, dtype=bool)
    out[slices] = inside
    return out


@pytest.mark.parametrize("ndim, radius", [(3, 8.0), (3, 5.5), (2, 8.0), (2, 20.0)])
def test_ball_voxel_count_matches_volume(ndim, radius):
    grid = (41,) * ndim
    ball = shapes_for(ndim)[0]
    mask = _full(ball, (20.3,) * ndim, radius, (1.0,) * ndim, 0, grid)
    expected = unit_ball_volume(ndim) * radius**ndim  # 4/3 pi r^3 or pi r^2
    assert ball.name == ("ball" if ndim == 3 else "disc")
    assert abs(mask.sum() - expected) / expected < 0.03


@pytest.mark.parametrize("ndim", [2, 3])
def test_all_shapes_have_the_ball_volume_and_are_connected(ndim):
    rng = np.random.default_rng(0)
    grid = (45,) * ndim
    expected = unit_ball_volume(ndim) * 10.0**ndim
    for shape in shapes_for(ndim):
        counts = []
        for axis in range(ndim):
            for _ in range(4):  # box-like shapes: the count depends on the sub-voxel centre, the mean does not
                mask = _full(shape, 22.0 + rng.random(ndim), 10.0, (1.0,) * ndim, axis, grid)
                assert ndimage.label(mask)[1] == 1, shape.name
                counts.append(mask.sum())
        assert abs(np.mean(counts) - expected) / expected < 0.05, shape.name


def test_elongated_shapes_follow_long_axis():
    ellipsoid = shape_by_name("ellipsoid", 3)
    mask = _full(ellipsoid, (20.0, 20.0, 20.0), 8.0, (1.0, 1.0, 1.0), 2, (41, 41, 41))
    extent = [np.ptp(np.nonzero(mask)[a]) for a in range(3)]
    assert extent[2] == pytest.approx(2 * extent[0], abs=2)


def test_anisotropic_spacing_keeps_physical_shape():
    ball = shape_by_name("ball", 3)
    # z spacing twice the in-plane spacing: half as many slices, half as many voxels
    mask = _full(ball, (10.0, 20.0, 20.0), 8.0, (2.0, 1.0, 1.0), 0, (21, 41, 41))
    zs = np.nonzero(mask.any(axis=(1, 2)))[0]
    assert zs.min() == 6 and zs.max() == 14
    assert mask.sum() == pytest.approx(4 / 3 * math.pi * 8**3 / 2, rel=0.04)


def test_box_is_clipped_to_the_grid():
    slices, inside = draw_shape(shape_by_name("disc", 2), (1.0, 1.0), 4.0, (1.0, 1.0), 0, (10, 10))
    assert all(s.start == 0 for s in slices) and inside.shape == (6, 6)


@pytest.mark.parametrize("ndim", [2, 3])
def test_shapes_ordered_from_most_ball_like(ndim):
    grid = (41,) * ndim
    ball = _full(shapes_for(ndim)[0], (20.0,) * ndim, 14.0, (1.0,) * ndim, 0, grid)
    ious = []
    for shape in shapes_for(ndim)[1:]:
        other = _full(shape, (20.0,) * ndim, 14.0, (1.0,) * ndim, 0, grid)
        ious.append((ball & other).sum() / (ball | other).sum())
    assert all(a >= b - 0.03 for a, b in zip(ious, ious[1:])), ious  # 2D square/diamond: same IoU


@pytest.mark.parametrize("ndim", [2, 3])
def test_distractor_kinds_need_both_cues(ndim):
    target = target_kind(ndim)
    kinds = distractor_kinds(ndim, max_distractor_kinds(ndim))
    assert len({k.name for k in kinds}) == len(kinds) == len(shapes_for(ndim)) * len(LEVELS) - 1
    assert target.name not in {k.name for k in kinds}
    first, second = kinds[:2]
    assert first.shape.name == target.shape.name and first.level != TARGET_LEVEL
    assert second.level == TARGET_LEVEL and second.shape.name != target.shape.name
    with pytest.raises(ValueError):
        distractor_kinds(ndim, len(kinds) + 1)
