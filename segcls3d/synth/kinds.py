"""Object kinds of the synthetic task: a kind is a (shape, intensity level) pair.

The target is the ball (disc) at level ``TARGET_LEVEL``. Distractor kinds are ordered hardest
first: a kind that differs from the target in one cue only (same shape at the nearest other level,
or same level with the most ball-like other shape) comes before a kind that differs in both. With
two or more kinds the task needs both cues, shape and intensity.

Example:
    >>> [k.name for k in distractor_kinds(3, 3)]
    ['ball@70', 'octahedron@100', 'ball@130']
"""
from __future__ import annotations

from dataclasses import dataclass

from segcls3d.synth.shapes import Shape, shape_by_name, shapes_for

BACKGROUND_LEVEL = 0.0
# Target level first, then the other levels by distance to it (like tissue contrasts in CT/MR).
LEVELS = (100.0, 70.0, 130.0, 40.0, 160.0)
TARGET_LEVEL = LEVELS[0]
SPURIOUS_LEVEL = -80.0  # darker than the background: a conspicuous object, like the paper's pink square


@dataclass(frozen=True)
class ObjectKind:
    """One kind of object: a shape drawn at a fixed intensity level."""

    shape: Shape
    level: float

    @property
    def name(self) -> str:
        return f"{self.shape.name}@{self.level:g}"


def target_kind(ndim: int) -> ObjectKind:
    """The target: a ball (disc in 2D) at the target level."""
    return ObjectKind(shapes_for(ndim)[0], TARGET_LEVEL)


def spurious_kind(ndim: int) -> ObjectKind:
    """The spurious correlate: a cube (square in 2D) at its own level."""
    return ObjectKind(shape_by_name("cube" if ndim == 3 else "square", ndim), SPURIOUS_LEVEL)


def max_distractor_kinds(ndim: int) -> int:
    """Number of distinct distractor kinds available in ``ndim`` dimensions."""
    return len(shapes_for(ndim)) * len(LEVELS) - 1


def distractor_kinds(ndim: int, count: int) -> list[ObjectKind]:
    """The ``count`` hardest distractor kinds.

    Kinds are indexed by (shape rank, level rank) with the target at (0, 0) and sorted by the sum
    of ranks; among equal sums, kinds that share one cue with the target come first, intensity
    variants before shape variants.

    Raises:
        ValueError: ``count`` is outside ``1..max_distractor_kinds(ndim)``.
    """
    available = max_distractor_kinds(ndim)
    if not 1 <= count <= available:
        raise ValueError(f"distractor kinds must be between 1 and {available} in {ndim}D, got {count}")
    shapes = shapes_for(ndim)
    ranks = [(s, i) for s in range(len(shapes)) for i in range(len(LEVELS)) if (s, i) != (0, 0)]
    ranks.sort(key=lambda si: (si[0] + si[1], min(si) > 0, si[0]))
    return [ObjectKind(shapes[s], LEVELS[i]) for s, i in ranks[:count]]
