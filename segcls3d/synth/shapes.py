"""Voxelised shapes for the synthetic task, evaluated inside their bounding box only.

A shape is an implicit function of normalised coordinates ``u = (index - centre) * scale / radius``
where ``scale`` is the spacing divided by the finest spacing, so radii are counted in voxels of the
finest axis and shapes stay physically correct on anisotropic grids. Every shape of radius ``r``
has the volume (area in 2D) of the ball (disc) of radius ``r``: size alone never tells kinds apart.

Example:
    >>> ball = shape_by_name("ball", 3)
    >>> slices, inside = draw_shape(ball, (10.0, 10.0, 10.0), 4.0, (1.0, 1.0, 1.0), 0, (21, 21, 21))
    >>> int(inside.sum())
    257
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache, reduce
from typing import Callable, Sequence

import numpy as np

Coords = Sequence[np.ndarray]

ELONGATION = 2.0  # long/short axis ratio of ellipsoids (ellipses)
CYLINDER_HALF_LENGTH = {2: 1.3, 3: 1.2}
CROSS_HALF_WIDTH = {2: 0.35, 3: 0.4}


def unit_ball_volume(ndim: int) -> float:
    """Volume (area) of the unit ball in ``ndim`` dimensions."""
    return math.pi ** (ndim / 2) / math.gamma(ndim / 2 + 1)


@dataclass(frozen=True)
class Shape:
    """A named shape: ``inside(u, long_axis)`` -> bool array, and its half-extents in radii.

    ``long_extent`` applies along ``long_axis`` (elongated shapes), ``short_extent`` elsewhere.
    """

    name: str
    ndim: int
    inside: Callable[[Coords, int], np.ndarray] = field(compare=False, repr=False)
    long_extent: float
    short_extent: float

    @property
    def elongated(self) -> bool:
        return self.long_extent != self.short_extent

    def half_extent(self, long_axis: int) -> np.ndarray:
        """Half-extent along each axis, in multiples of the radius."""
        ext = np.full(self.ndim, self.short_extent)
        ext[long_axis] = self.long_extent
        return ext

    @property
    def max_extent(self) -> float:
        return max(self.long_extent, self.short_extent)


def _abs_max(u: Coords) -> np.ndarray:
    return reduce(np.maximum, (np.abs(x) for x in u))


def _ball(ndim: int) -> Shape:
    return Shape("ball" if ndim == 3 else "disc", ndim, lambda u, a: sum(x * x for x in u) <= 1.0, 1.0, 1.0)


def _cube(ndim: int) -> Shape:
    half = unit_ball_volume(ndim) ** (1 / ndim) / 2
    return Shape("cube" if ndim == 3 else "square", ndim, lambda u, a: _abs_max(u) <= half, half, half)


def _octahedron(ndim: int) -> Shape:
    half = (unit_ball_volume(ndim) * math.factorial(ndim)) ** (1 / ndim) / 2
    return Shape(
        "octahedron" if ndim == 3 else "diamond", ndim, lambda u, a: sum(np.abs(x) for x in u) <= half, half, half
    )


def _ellipsoid(ndim: int) -> Shape:
    long = ELONGATION ** ((ndim - 1) / ndim)
    short = long / ELONGATION

    def inside(u: Coords, axis: int) -> np.ndarray:
        return sum((x / (long if i == axis else short)) ** 2 for i, x in enumerate(u)) <= 1.0

    return Shape("ellipsoid" if ndim == 3 else "ellipse", ndim, inside, long, short)


def _cylinder(ndim: int) -> Shape:
    """Round cross-section along ``long_axis``; its 2D analogue is a rectangle."""
    half_length = CYLINDER_HALF_LENGTH[ndim]
    radius = (unit_ball_volume(ndim) / (2 * half_length * unit_ball_volume(ndim - 1))) ** (1 / (ndim - 1))

    def inside(u: Coords, axis: int) -> np.ndarray:
        across = sum(x * x for i, x in enumerate(u) if i != axis)
        return (np.abs(u[axis]) <= half_length) & (across <= radius * radius)

    return Shape("cylinder" if ndim == 3 else "rectangle", ndim, inside, half_length, radius)


def _cross(ndim: int) -> Shape:
    """Union of one square bar per axis (a 3D plus sign)."""
    w = CROSS_HALF_WIDTH[ndim]
    bar = (2 * w) ** (ndim - 1)
    half_length = (unit_ball_volume(ndim) + (ndim - 1) * (2 * w) ** ndim) / (2 * ndim * bar)

    def inside(u: Coords, axis: int) -> np.ndarray:
        result = None
        for a in range(ndim):
            others = [x for i, x in enumerate(u) if i != a]
            one = (np.abs(u[a]) <= half_length) & (_abs_max(others) <= w)
            result = one if result is None else result | one
        return result

    return Shape("cross", ndim, inside, half_length, half_length)


# Target shape first, then the other shapes from most to least similar to it (overlap with the
# equal-volume ball at the same centre: 3D 0.76, 0.73, 0.59, 0.54, 0.45; checked in tests/synth).
_FACTORIES = (_ball, _octahedron, _cube, _ellipsoid, _cylinder, _cross)


@lru_cache(maxsize=None)
def shapes_for(ndim: int) -> tuple[Shape, ...]:
    """All shapes of a dimension, target shape (ball/disc) first, most ball-like next.

    Raises:
        ValueError: ``ndim`` is not 2 or 3.
    """
    if ndim not in (2, 3):
        raise ValueError(f"shapes exist for 2 or 3 dimensions, not {ndim}")
    return tuple(factory(ndim) for factory in _FACTORIES)


def shape_by_name(name: str, ndim: int) -> Shape:
    """Look a shape up by name (``ball``, ``cube``, ... or ``disc``, ``square``, ... in 2D).

    Raises:
        KeyError: no shape of that name in ``ndim`` dimensions.
    """
    for shape in shapes_for(ndim):
        if shape.name == name:
            return shape
    raise KeyError(f"no {ndim}D shape named {name!r}; known: {[s.name for s in shapes_for(ndim)]}")


def half_extent_voxels(shape: Shape, radius: float, scale: Sequence[float], long_axis: int) -> np.ndarray:
    """Half-extent of a drawn shape along each array axis, in voxels."""
    return shape.half_extent(long_axis) * radius / np.asarray(scale, dtype=float)


def draw_shape(
    shape: Shape,
    centre: Sequence[float],
    radius: float,
    scale: Sequence[float],
    long_axis: int,
    grid_shape: Sequence[int],
) -> tuple[tuple[slice, ...], np.ndarray]:
    """Voxelise a shape inside its bounding box.

    Args:
        shape: the shape.
        centre: centre in voxel coordinates (array axis order), may be fractional.
        radius: radius in voxels of the finest axis.
        scale: per-axis spacing divided by the finest spacing.
        long_axis: axis of elongated shapes (ignored by symmetric ones).
        grid_shape: shape of the whole array; the box is clipped to it.

    Returns:
        ``(slices, inside)``: the bounding box in the array and a bool mask of the box's shape.
    """
    centre_arr = np.asarray(centre, dtype=float)
    ext = half_extent_voxels(shape, radius, scale, long_axis)
    lo = np.maximum(np.floor(centre_arr - ext).astype(int), 0)
    hi = np.minimum(np.ceil(centre_arr + ext).astype(int), np.asarray(grid_shape) - 1)
    axes = [(np.arange(a, b + 1) - c) * s / radius for a, b, c, s in zip(lo, hi, centre_arr, scale)]
    inside = np.broadcast_to(shape.inside(np.ix_(*axes), long_axis), tuple(int(b - a + 1) for a, b in zip(lo, hi)))
    return tuple(slice(int(a), int(b) + 1) for a, b in zip(lo, hi)), inside
