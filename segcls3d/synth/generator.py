"""One synthetic case, following Hooper et al. (2023), Appendix A4.1, in 2D or 3D.

Per case: ``y ~ Bernoulli(p_pos)``; ``match ~ Bernoulli(p_spur)``, ``s = y if match else 1 - y``;
if ``s`` the spurious object is drawn first, then ``n_objects - y - s`` distractors, then (if ``y``)
the target last so it lies on top. The label mask is the target's voxels (label 1). Each case has
its own random streams derived from ``(seed, split, index)``, so a case never depends on another.

Example:
    >>> from segcls3d.synth.config import SynthConfig
    >>> case = generate_case(SynthConfig(dim=2, shape=(32, 32), n_objects=5), "train", 0)
    >>> case.image.shape, case.mask.dtype.name
    ((1, 32, 32), 'uint8')
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from segcls3d.synth.config import DISTRACTOR_RADIUS_FACTORS, TARGET_RADIUS_FACTORS, SynthConfig
from segcls3d.synth.kinds import BACKGROUND_LEVEL, ObjectKind, distractor_kinds, spurious_kind, target_kind
from segcls3d.synth.shapes import draw_shape, half_extent_voxels

SPLIT_CODES = {"train": 0, "test": 1}


@dataclass(frozen=True)
class PlacedObject:
    """An object of a case: what it is, its radius (finest voxels), centre (array axes), long axis."""

    role: str  # "spurious", "distractor" or "target"
    kind: ObjectKind
    radius: float
    centre: tuple[float, ...]
    long_axis: int


@dataclass(frozen=True)
class SynthCase:
    """A generated case; ``image``/``mask`` are (z, y, x) arrays, (1, H, W) in 2D."""

    case_id: str
    split: str
    label: int
    image: np.ndarray
    mask: np.ndarray
    spurious_present: bool
    objects: tuple[PlacedObject, ...]

    @property
    def target(self) -> Optional[PlacedObject]:
        return self.objects[-1] if self.label else None

    @property
    def target_center_zyx(self) -> Optional[tuple[float, ...]]:
        """Target centre in (z, y, x) voxel coordinates (z = 0 in 2D), None for negatives."""
        if self.target is None:
            return None
        centre = tuple(self.target.centre)
        return (0.0, *centre) if len(centre) == 2 else centre


def case_id(split: str, index: int) -> str:
    """``synth_0007`` for training cases, ``synth_test_0007`` for test cases."""
    return f"synth_{index:04d}" if split == "train" else f"synth_{split}_{index:04d}"


def case_rngs(seed: int, split: str, index: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Independent (geometry, noise) generators of one case; the noise level never moves objects."""
    sequence = np.random.SeedSequence([seed, SPLIT_CODES[split], index])
    geometry, noise = sequence.spawn(2)
    return np.random.default_rng(geometry), np.random.default_rng(noise)


def _centre(
    rng: np.random.Generator, config: SynthConfig, kind: ObjectKind, radius: float, long_axis: int, location_bias: float
) -> tuple[float, ...]:
    """Uniform centre such that the object fits; ``location_bias`` shrinks the range to the middle."""
    extent = half_extent_voxels(kind.shape, radius, config.scale, long_axis)
    lo = extent
    hi = np.asarray(config.shape, dtype=float) - 1 - extent
    middle = (np.asarray(config.shape, dtype=float) - 1) / 2
    lo = lo + location_bias * (middle - lo)
    hi = hi - location_bias * (hi - middle)
    return tuple(float(v) for v in rng.uniform(lo, hi))


def sample_objects(config: SynthConfig, split: str, rng: np.random.Generator) -> tuple[int, bool, list[PlacedObject]]:
    """Draw the label, the spurious indicator and the objects of one case, in drawing order."""
    params = config.split_params(split)
    label = int(rng.random() < params.prevalence)
    match = rng.random() < params.spurious
    spurious = label if match else 1 - label
    objects: list[PlacedObject] = []
    dim = config.dim
    if spurious:
        kind = spurious_kind(dim)
        centre = _centre(rng, config, kind, config.spurious_size, 0, 0.0)
        objects.append(PlacedObject("spurious", kind, config.spurious_size, centre, 0))
    kinds = distractor_kinds(dim, config.distractor_kinds)
    low, high = (f * config.target_size for f in DISTRACTOR_RADIUS_FACTORS)
    for _ in range(config.n_objects - label - spurious):
        kind = kinds[int(rng.integers(len(kinds)))]
        radius = float(rng.uniform(low, high))
        axis = int(rng.integers(dim))
        objects.append(PlacedObject("distractor", kind, radius, _centre(rng, config, kind, radius, axis, 0.0), axis))
    if label:
        kind = target_kind(dim)
        b = params.size_bias
        factor = TARGET_RADIUS_FACTORS[int(rng.choice(3, p=[1.0 - b, b / 2, b / 2]))]
        radius = config.target_size * factor
        centre = _centre(rng, config, kind, radius, 0, params.location_bias)
        objects.append(PlacedObject("target", kind, radius, centre, 0))
    return label, bool(spurious), objects


def render(
    config: SynthConfig, objects: list[PlacedObject], noise_rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Paint objects in order (later ones on top), add Gaussian noise; return (image, target mask)."""
    grid = tuple(config.shape)
    image = np.full(grid, BACKGROUND_LEVEL, dtype=np.float32)
    mask = np.zeros(grid, dtype=np.uint8)
    for obj in objects:
        slices, inside = draw_shape(obj.kind.shape, obj.centre, obj.radius, config.scale, obj.long_axis, grid)
        image[slices][inside] = obj.kind.level
        mask[slices][inside] = 1 if obj.role == "target" else 0
    if config.noise > 0:
        image += noise_rng.standard_normal(grid, dtype=np.float32) * np.float32(config.noise)
    if config.dim == 2:
        image, mask = image[None], mask[None]
    return image, mask


def generate_case(config: SynthConfig, split: str, index: int) -> SynthCase:
    """Generate case ``index`` of ``split`` ("train" or "test"); deterministic given the config seed.

    Raises:
        KeyError: unknown split.
    """
    geometry_rng, noise_rng = case_rngs(config.seed, split, index)
    label, spurious, objects = sample_objects(config, split, geometry_rng)
    image, mask = render(config, objects, noise_rng)
    return SynthCase(case_id(split, index), split, label, image, mask, spurious, tuple(objects))
