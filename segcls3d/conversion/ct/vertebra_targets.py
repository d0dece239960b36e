"""Segmentation targets and image-level labels from per-vertebra-level fracture labels.

As in the paper's SPINE dataset: for a positive study the mask marks the vertebra(e) in which the
fracture occurs (union of the fractured levels, label 1); a negative study is all background.
With ``per_vertebra`` each level gets its own label (C1..C7 -> 1..7), so that one model yields the
per-level classes and the overall class::

    spec = target_spec(["C1", ..., "C7"], per_vertebra=True)
    spec.class_block == {"classes": {"patient_overall": [1, ..., 7], "C1": [1], ..., "C7": [7]}}
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping, Optional, Sequence

import numpy as np

from segcls3d.conversion.ct.vertebrae import LEVEL_IDS, normalize_level
from segcls3d.errors import InputDataError
from segcls3d.labels.values import is_unknown_spelling

FRACTURE_LABEL = "fracture"


@dataclass(frozen=True)
class TargetSpec:
    """Labels of the segmentation target and image-level classes of a vertebra-level dataset."""

    levels: tuple[str, ...]
    overall_name: str
    per_vertebra: bool

    @property
    def label_of_level(self) -> dict[str, int]:
        """Segmentation label id written for a fractured level."""
        if self.per_vertebra:
            return {level: i + 1 for i, level in enumerate(self.levels)}
        return {level: 1 for level in self.levels}

    @property
    def labels(self) -> dict[str, int]:
        """The ``labels`` mapping of dataset.json."""
        if self.per_vertebra:
            return {"background": 0, **self.label_of_level}
        return {"background": 0, FRACTURE_LABEL: 1}

    @property
    def classes(self) -> list[str]:
        """Image-level classes: the overall class, then one per level."""
        return [self.overall_name, *self.levels]

    @property
    def class_block(self) -> dict:
        """The ``segcls3d`` block of dataset.json (levels are classification-only without per_vertebra)."""
        label_of = self.label_of_level
        if self.per_vertebra:
            classes = {self.overall_name: [label_of[lvl] for lvl in self.levels]}
            classes.update({lvl: [label_of[lvl]] for lvl in self.levels})
        else:
            classes = {self.overall_name: [1], **{lvl: [] for lvl in self.levels}}
        return {"classes": classes}


def target_spec(levels: Sequence[str], overall_name: str = "patient_overall", per_vertebra: bool = False) -> TargetSpec:
    """Build a TargetSpec; level names may be ``C1`` or ``vertebrae_C1``.

    Raises:
        InputDataError: unknown or duplicated level names, or the overall name equals a level.
    """
    names = tuple(normalize_level(level) for level in levels)
    if not names:
        raise InputDataError("no vertebra levels given")
    if len(set(names)) != len(names):
        raise InputDataError(f"duplicated vertebra levels in {list(levels)}")
    if overall_name in names:
        raise InputDataError(f"the overall class name {overall_name!r} is also a vertebra level")
    return TargetSpec(names, overall_name, per_vertebra)


def binarize(value, threshold: float = 1.0) -> Optional[float]:
    """A table cell -> 1.0 if ``value >= threshold``, 0.0 if below, None if empty/NaN.

    Raises:
        InputDataError: the cell is not a number.
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if is_unknown_spelling(text):
            return None
        try:
            value = float(text)
        except ValueError:
            raise InputDataError(f"label value {text!r} is not a number") from None
    value = float(value)
    if math.isnan(value):
        return None
    return 1.0 if value >= threshold else 0.0


def case_labels(
    spec: TargetSpec, level_values: Mapping[str, Optional[float]], overall: Optional[float] = None, case_id: str = "?"
) -> dict[str, Optional[float]]:
    """Image-level labels ``{class: 0/1/None}`` of a case.

    The overall class is ``overall`` when given (RSNA's patient_overall), else 1 if any level is 1,
    0 if all levels are 0, unknown otherwise.

    Raises:
        InputDataError: a given overall label contradicts the level labels.
    """
    values = {lvl: level_values.get(lvl) for lvl in spec.levels}
    known = [v for v in values.values() if v is not None]
    derived: Optional[float]
    if any(v == 1 for v in known):
        derived = 1.0
    elif len(known) == len(values):
        derived = 0.0
    else:
        derived = None
    if overall is not None and derived is not None and overall != derived:
        raise InputDataError(
            f"case {case_id}: {spec.overall_name}={overall:g} contradicts the vertebra labels "
            f"{ {k: v for k, v in values.items() if v is not None} }"
        )
    if overall == 1 and derived is None:
        raise InputDataError(f"case {case_id}: {spec.overall_name}=1 but no fractured level is given")
    return {spec.overall_name: overall if overall is not None else derived, **values}


def fractured_levels(spec: TargetSpec, labels: Mapping[str, Optional[float]]) -> list[str]:
    """Levels labelled 1."""
    return [lvl for lvl in spec.levels if labels.get(lvl) == 1]


def fracture_target(
    level_map: np.ndarray, spec: TargetSpec, fractured: Iterable[str], case_id: str = "?"
) -> np.ndarray:
    """Target label array on the level-map grid: fractured vertebrae labelled, rest background.

    Raises:
        InputDataError: a fractured level has no voxel in the level map (the vertebra was not
            segmented), since the target would silently miss the fracture.
    """
    target = np.zeros(level_map.shape, dtype=np.uint8)
    label_of = spec.label_of_level
    for level in fractured:
        voxels = level_map == LEVEL_IDS[level]
        if not voxels.any():
            raise InputDataError(
                f"case {case_id}: vertebra {level} is labelled fractured but is absent from the vertebra "
                "segmentation (not in the field of view, or missed by the segmentation)"
            )
        target[voxels] = label_of[level]
    return target


def restrict_to_slices(target: np.ndarray, slice_indices: Iterable[int], case_id: str = "?") -> np.ndarray:
    """Keep the target only on the given z indices (array axis 0), e.g. slices with bounding boxes.

    Raises:
        InputDataError: an index lies outside the volume, or nothing of the target is left.
    """
    indices = sorted({int(i) for i in slice_indices})
    if not indices:
        return target
    if indices[0] < 0 or indices[-1] >= target.shape[0]:
        raise InputDataError(
            f"case {case_id}: bounding-box slice index out of range 0..{target.shape[0] - 1}: {indices}"
        )
    keep = np.zeros(target.shape[0], dtype=bool)
    keep[indices] = True
    result = np.where(keep[:, None, None], target, 0).astype(target.dtype)
    if target.any() and not result.any():
        raise InputDataError(
            f"case {case_id}: no fractured vertebra voxel on the bounding-box slices {indices[0]}..{indices[-1]}"
        )
    return result
