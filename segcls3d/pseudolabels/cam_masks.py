"""One case's weak mask from its saliency maps and class labels (CheXseg, Gadgil et al., Sec. 3.2).

Per class that has label ids and a map, with the case's class label y:

* y = 0: the class is absent from the mask (negatives get an empty mask);
* y = 1 or unknown: the map thresholded at the class's relative threshold (Otsu's when None), empty
  when the map's maximum is below ``cutoff`` (:func:`segcls3d.model.saliency.threshold.binarize`);
* y = 1 and that mask is empty: the case is **excluded** (its label says the finding is there, the map
  does not show where), as ``pseudolabel boosted`` does with empty teacher masks.

The classes covering a voxel are written as the label id that matches them best
(:func:`paint_classes`), so classes of several labels and nested regions come out right.

Example:
    >>> from segcls3d.labels import ClassDefinition
    >>> maps = {"lesion": np.array([[0.0, 1.0, 4.0]])}
    >>> d = weak_mask(maps, np.array([1.0]), [ClassDefinition("lesion", (1,))], {"lesion": 0.5})
    >>> d.action, d.mask.tolist(), d.voxels
    ('weak_mask', [[0, 0, 1]], 1)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import numpy as np

from segcls3d.labels import ClassDefinition
from segcls3d.model.saliency.threshold import binarize, normalize_map


@dataclass(frozen=True)
class WeakMaskDecision:
    """``weak_mask`` | ``background`` (all classes negative) | ``excluded``, the mask to write, its voxels, a reason."""

    action: str
    mask: Optional[np.ndarray]
    voxels: int
    reason: str


def paint_classes(covered: Mapping[str, np.ndarray], relative: Mapping[str, np.ndarray],
                  classes: Sequence[ClassDefinition]) -> np.ndarray:
    """Label map: each voxel gets the label id whose classes best match the classes covering it.

    A label scores ``|its classes covering the voxel| - |its classes not covering it|``; ties go to the
    label whose covering class has the larger relative saliency there, then to the smaller id.
    Voxels no class covers are 0.

    Example:
        >>> wt, tc = ClassDefinition("wt", (1, 2)), ClassDefinition("tc", (2,))
        >>> cov = {"wt": np.array([True, True, False]), "tc": np.array([False, True, False])}
        >>> paint_classes(cov, {"wt": np.ones(3), "tc": np.ones(3)}, [wt, tc]).tolist()
        [1, 2, 0]
    """
    shape = next(iter(covered.values())).shape
    by_name = {c.name: c for c in classes if c.name in covered}
    labels = sorted({int(i) for c in by_name.values() for i in c.label_ids})
    best = np.full(shape, -np.inf)
    painted = np.zeros(shape, dtype=np.int32)
    for label in labels:  # ascending: a later label wins only with a strictly better score
        score = np.zeros(shape)
        strength = np.zeros(shape)
        for name, c in by_name.items():
            if label not in c.label_ids:
                continue
            score += np.where(covered[name], 1.0, -1.0)
            strength = np.maximum(strength, np.where(covered[name], relative[name], 0.0))
        score = score + 0.5 * np.clip(strength, 0.0, 1.0)
        better = score > best
        best = np.where(better, score, best)
        painted = np.where(better, label, painted)
    any_covered = np.any(np.stack([covered[n] for n in by_name]), axis=0)
    return np.where(any_covered, painted, 0)


def weak_mask(maps: Mapping[str, np.ndarray], case_label: np.ndarray, classes: Sequence[ClassDefinition],
              thresholds: Mapping[str, Optional[float]], cutoff: Optional[float] = None) -> WeakMaskDecision:
    """The weak mask of a case (see the module doc); ``maps`` holds a map per class name, on the image grid."""
    labelled = [(c, float(v)) for c, v in zip(classes, case_label) if c.label_ids and c.name in maps]
    covered, relative, parts, empty_positive = {}, {}, [], []
    for c, value in labelled:
        if value == 0:
            covered[c.name] = np.zeros(maps[c.name].shape, dtype=bool)
            parts.append(f"{c.name}: negative")
            continue
        covered[c.name] = binarize(maps[c.name], thresholds.get(c.name), cutoff)
        relative[c.name] = normalize_map(maps[c.name])
        n = int(covered[c.name].sum())
        peak = float(np.max(maps[c.name], initial=0.0))
        parts.append(f"{c.name}: {'positive' if value == 1 else 'unknown'}, {n} voxels (map peak {peak:.3g})")
        if value == 1 and n == 0:
            empty_positive.append(c.name)
    reason = "; ".join(parts)
    if empty_positive:
        return WeakMaskDecision("excluded", None, 0, f"positive for {', '.join(empty_positive)} but the map gives an "
                                                     f"empty mask: excluded ({reason})")
    shape = next(iter(maps.values())).shape
    if not covered:
        return WeakMaskDecision("background", np.zeros(shape, dtype=np.uint8), 0, "no class with a map")
    relative.update({n: np.zeros(shape) for n in covered if n not in relative})
    mask = paint_classes(covered, relative, classes)
    voxels = int((mask != 0).sum())
    if all(value == 0 for _, value in labelled):
        return WeakMaskDecision("background", mask, 0, f"{reason}; all-background mask")
    return WeakMaskDecision("weak_mask", mask, voxels, reason)
