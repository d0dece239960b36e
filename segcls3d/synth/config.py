"""SynthConfig: every knob of the synthetic task, validated once, with the paper's defaults scaled.

Hooper et al. (2023) use 224x224 images, target radius 8 and 50 objects. Scaled to small volumes
(radius 3 so that shapes stay recognisable), the defaults are 48^3 with 100 objects in 3D and
96x96 with 50 objects in 2D, which fills a similar fraction of the image (about 15%). Sizes are
radii in voxels of the finest axis. Only the training distributions change with the knobs; the test
split always has target radius ``target_size``, targets anywhere and no spurious correlation.

Example:
    >>> SynthConfig(dim=2, n_train=4).shape
    (96, 96)
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from segcls3d.errors import SegCls3dError
from segcls3d.synth.kinds import distractor_kinds, max_distractor_kinds, spurious_kind, target_kind
from segcls3d.synth.shapes import half_extent_voxels

GENERATOR_VERSION = 1
DEFAULT_SHAPE = {2: (96, 96), 3: (48, 48, 48)}
DEFAULT_N_OBJECTS = {2: 50, 3: 100}
TARGET_RADIUS_FACTORS = (1.0, 1.5, 2.0)  # small (the test subtype), medium, large
DISTRACTOR_RADIUS_FACTORS = (0.7, 1.4)  # distractor radius ~ U[0.7, 1.4] * target_size
SPURIOUS_SIZE_FACTOR = 2.5  # default spurious_size = 2.5 * target_size
SLICE_SPACING_2D = 999.0


class SynthConfigError(SegCls3dError):
    """A knob of the synthetic generator has an invalid value, or the output folder conflicts."""


@dataclass(frozen=True)
class SplitParams:
    """Distribution parameters of one split (train follows the knobs, test the paper's test set)."""

    prevalence: float
    spurious: float
    size_bias: float
    location_bias: float


@dataclass(frozen=True)
class SynthConfig:
    """All parameters of a synthetic dataset; ``None`` fields get dimension-dependent defaults.

    Raises:
        SynthConfigError: a value is out of range, or an object does not fit into the volume.
    """

    dim: int = 3
    shape: Optional[tuple[int, ...]] = None
    spacing: Optional[tuple[float, ...]] = None
    n_train: int = 100
    n_test: int = 100
    prevalence: float = 0.5
    test_prevalence: float = 0.5
    target_size: float = 3.0
    size_bias: float = 0.0
    spurious: float = 0.5
    spurious_size: Optional[float] = None
    location_bias: float = 0.0
    n_objects: Optional[int] = None
    distractor_kinds: int = 8
    noise: float = 20.0
    seed: int = 0
    dataset_name: str = "SegCls3DSynth"

    def __post_init__(self) -> None:
        dim = _integer("dim", self.dim)
        if dim not in (2, 3):
            raise SynthConfigError(f"--dim must be 2 or 3, got {self.dim}")
        shape = DEFAULT_SHAPE[dim] if self.shape is None else tuple(_integer("shape", s) for s in self.shape)
        spacing = (1.0,) * dim if self.spacing is None else tuple(_real("spacing", s) for s in self.spacing)
        values = {
            "dim": dim,
            "shape": shape,
            "spacing": spacing,
            "n_train": _integer("n_train", self.n_train),
            "n_test": _integer("n_test", self.n_test),
            "target_size": _real("target_size", self.target_size),
            "spurious_size": _real(
                "spurious_size",
                SPURIOUS_SIZE_FACTOR * _real("target_size", self.target_size)
                if self.spurious_size is None
                else self.spurious_size,
            ),
            "n_objects": DEFAULT_N_OBJECTS[dim] if self.n_objects is None else _integer("n_objects", self.n_objects),
            "distractor_kinds": _integer("distractor_kinds", self.distractor_kinds),
            "seed": _integer("seed", self.seed),
            "dataset_name": str(self.dataset_name),
        }
        for name in ("prevalence", "test_prevalence", "size_bias", "spurious", "location_bias", "noise"):
            values[name] = _real(name, getattr(self, name))
        for name, value in values.items():
            object.__setattr__(self, name, value)
        self._validate()

    # ------------------------------------------------------------------ validation
    def _validate(self) -> None:
        if len(self.shape) != self.dim or min(self.shape) < 4:
            raise SynthConfigError(
                f"--shape needs {self.dim} sizes of at least 4 voxels for --dim {self.dim}, got {list(self.shape)}"
            )
        if len(self.spacing) != self.dim or not all(math.isfinite(s) and s > 0 for s in self.spacing):
            raise SynthConfigError(
                f"--spacing needs {self.dim} positive values for --dim {self.dim}, got {list(self.spacing)}"
            )
        if self.dim == 2 and max(self.spacing) >= SLICE_SPACING_2D:
            raise SynthConfigError(f"2D --spacing must be below {SLICE_SPACING_2D:g} (reserved for the slice axis)")
        if self.n_train < 1 or self.n_test < 0:
            raise SynthConfigError(f"--n-train must be >= 1 and --n-test >= 0, got {self.n_train} and {self.n_test}")
        for name in ("prevalence", "test_prevalence", "size_bias", "spurious", "location_bias"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise SynthConfigError(f"--{name.replace('_', '-')} must be between 0 and 1, got {value:g}")
        if not (self.target_size >= 1.0 and math.isfinite(self.target_size)):
            raise SynthConfigError(f"--target-size (radius in voxels) must be at least 1, got {self.target_size:g}")
        if not (self.spurious_size >= 1.0 and math.isfinite(self.spurious_size)):
            raise SynthConfigError(f"--spurious-size (radius in voxels) must be at least 1, got {self.spurious_size:g}")
        if self.n_objects < 2:
            raise SynthConfigError(
                f"--n-objects counts the target and the spurious object and must be >= 2, got {self.n_objects}"
            )
        available = max_distractor_kinds(self.dim)
        if not 1 <= self.distractor_kinds <= available:
            raise SynthConfigError(
                f"--distractor-kinds must be between 1 and {available} in {self.dim}D, got {self.distractor_kinds}"
            )
        if not (self.noise >= 0.0 and math.isfinite(self.noise)):
            raise SynthConfigError(f"--noise must be >= 0, got {self.noise:g}")
        if self.seed < 0:
            raise SynthConfigError(f"--seed must be >= 0, got {self.seed}")
        self._validate_fit()

    def _validate_fit(self) -> None:
        """Every object must fit completely inside the volume, at any orientation."""
        largest_target = self.target_size * (TARGET_RADIUS_FACTORS[-1] if self.size_bias > 0 else 1.0)
        checks = [("target (--target-size", target_kind(self.dim).shape, largest_target)]
        distractor_radius = self.target_size * DISTRACTOR_RADIUS_FACTORS[1]
        for kind in distractor_kinds(self.dim, self.distractor_kinds):
            checks.append((f"distractor {kind.name} (from --target-size", kind.shape, distractor_radius))
        checks.append(("spurious object (--spurious-size", spurious_kind(self.dim).shape, self.spurious_size))
        for what, shape, radius in checks:
            for long_axis in range(self.dim if shape.elongated else 1):
                extent = half_extent_voxels(shape, radius, self.scale, long_axis)
                for axis, (half, size) in enumerate(zip(extent, self.shape)):
                    if 2 * half > size - 1:
                        raise SynthConfigError(
                            f"{what}) with radius {radius:g} voxels is {2 * half + 1:.0f} voxels wide along axis "
                            f"{axis} but --shape is {list(self.shape)}: use a smaller radius or a larger volume"
                        )

    # ------------------------------------------------------------------ derived values
    @property
    def scale(self) -> tuple[float, ...]:
        """Per-axis spacing relative to the finest axis (radii are counted in finest voxels)."""
        finest = min(self.spacing)
        return tuple(s / finest for s in self.spacing)

    def split_params(self, split: str) -> SplitParams:
        """Distribution parameters of ``"train"`` (the knobs) or ``"test"`` (unbiased, as in the paper).

        Raises:
            ValueError: unknown split name.
        """
        if split == "train":
            return SplitParams(self.prevalence, self.spurious, self.size_bias, self.location_bias)
        if split == "test":
            return SplitParams(self.test_prevalence, 0.5, 0.0, 0.0)
        raise ValueError(f"unknown split {split!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "SynthConfig":
        """Inverse of :meth:`to_dict`.

        Raises:
            SynthConfigError: unknown keys or invalid values.
        """
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SynthConfigError(f"unknown synthetic config key(s) {unknown}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def _integer(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise SynthConfigError(f"{name} must be an integer, got {value!r}")
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        raise SynthConfigError(f"{name} must be an integer, got {value!r}") from None
    if not as_float.is_integer():
        raise SynthConfigError(f"{name} must be an integer, got {value!r}")
    return int(as_float)


def _real(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise SynthConfigError(f"{name} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SynthConfigError(f"{name} must be a number, got {value!r}") from None
