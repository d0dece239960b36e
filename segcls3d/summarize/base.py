"""The summarizing function g: per-class probability maps -> image-level summary per class.

A summarizer is any object with ``summarize(class_maps, spacing, geometry=None)`` and
``to_dict()``; ``to_dict()`` carries a ``"kind"`` key so that :func:`summarizer_from_dict` (and
:func:`load_summarizer` for a small JSON file) can rebuild it. New kinds register a builder with
:func:`register_summarizer`.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Protocol, Sequence, Union, runtime_checkable

import numpy as np

from segcls3d.errors import ModelFolderError
from segcls3d.io import write_json_atomic
from segcls3d.summarize.geometry import ImageGeometry

logger = logging.getLogger(__name__)

KIND_KEY = "kind"


@dataclass
class ClassSummary:
    """Image-level result for one class of one case.

    Attributes:
        probability: image-level score (a probability in [0, 1] except for ranking-only scores
            such as ``soft_volume``; the calibrated probability for a calibrated summarizer).
        label: binary image-level label (0/1).
        volume_mm3: volume of the binarized mask (area in mm^2 for single-slice 2D images).
        components: number of connected components of the binarized mask.
        centroid_voxel: centre of mass of the binarized mask, index order (z, y, x); None if empty.
        centroid_world: the same point in world coordinates (x, y, z) mm; None if empty or no geometry.
        score: for a calibrated summarizer the raw score before calibration (``probability`` is then the
            calibrated value); None otherwise.
    """

    probability: float
    label: int
    volume_mm3: float
    components: int
    centroid_voxel: Optional[tuple[float, ...]]
    centroid_world: Optional[tuple[float, ...]]
    score: Optional[float] = None


@runtime_checkable
class Summarizer(Protocol):
    """Summarizing function g of Hooper et al. (2023): segmentation output -> image-level labels."""

    def summarize(
        self,
        class_maps: Mapping[str, np.ndarray],
        spacing: Sequence[float],
        geometry: Optional[ImageGeometry] = None,
    ) -> dict[str, ClassSummary]:
        """Summarize each class probability map (arrays in (z, y, x) order, spacing likewise)."""
        ...

    def to_dict(self) -> dict:
        """JSON-serialisable settings including the ``"kind"`` key."""
        ...


_KINDS: dict[str, Any] = {}


def register_summarizer(kind: str) -> Callable[[Any], Any]:
    """Class decorator registering a summarizer class (it needs a ``from_dict`` classmethod) under ``kind``.

    Raises:
        ValueError: ``kind`` is already taken by a different class.
    """

    def decorate(cls: Any) -> Any:
        old = _KINDS.get(kind)
        if old is not None and (old.__module__, old.__qualname__) != (cls.__module__, cls.__qualname__):
            raise ValueError(f"summarizer kind {kind!r} is already registered by {old.__qualname__}")
        _KINDS[kind] = cls
        return cls

    return decorate


def summarizer_kinds() -> list[str]:
    """Registered summarizer kinds."""
    return sorted(_KINDS)


def summarizer_from_dict(d: Mapping[str, Any]) -> Summarizer:
    """Rebuild a summarizer from ``to_dict()`` output.

    Raises:
        ValueError: no ``"kind"`` key, an unknown kind, or settings the kind rejects.
    """
    if not isinstance(d, Mapping) or KIND_KEY not in d:
        raise ValueError(f"summarizer settings need a {KIND_KEY!r} key (one of {summarizer_kinds()}), got {d!r}")
    kind = d[KIND_KEY]
    if kind not in _KINDS:
        raise ValueError(f"unknown summarizer kind {kind!r}; known kinds: {summarizer_kinds()}")
    return _KINDS[kind].from_dict(dict(d))


def save_summarizer(path: Union[str, Path], summarizer: Summarizer) -> Path:
    """Write ``summarizer.to_dict()`` as a small JSON file (atomically)."""
    return write_json_atomic(path, summarizer.to_dict())


def load_summarizer(path: Union[str, Path]) -> Summarizer:
    """Read a summarizer JSON file written by :func:`save_summarizer`.

    Raises:
        ModelFolderError: the file is missing, not JSON, or holds invalid settings (named in the message).
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFolderError(f"{path}: summarizer file not found")
    try:
        settings = json.loads(path.read_text())
        return summarizer_from_dict(settings)
    except (ValueError, TypeError) as exc:  # json.JSONDecodeError is a ValueError
        raise ModelFolderError(f"{path}: invalid summarizer settings: {exc}") from exc
