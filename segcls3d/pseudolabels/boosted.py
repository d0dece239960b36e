"""Boosted pseudo labels (Hooper et al. 2023, Sec. 4.2.2, Setting 2): class labels fix pseudo masks.

For each class that has labels in the mask, with the case's class label y:

* y = 0: the class's label ids are removed from the teacher's mask (set to background) — the
  paper's "zero out the pseudo mask of negative images";
* y = 1 and, after that, no voxel of the class is left: the pseudo mask is wrong and the case is
  **excluded** from training;
* y unknown: the teacher's mask of that class is kept as is.

Classification-only classes (no label ids) do not affect the mask. With a single class this is
exactly the paper's rule: negatives get empty masks, positives with empty pseudo masks are dropped.

Example:
    >>> from segcls3d.labels import ClassDefinition
    >>> d = boost_pseudo_mask(np.array([[0, 1]]), np.array([0.0]), [ClassDefinition("lesion", (1,))])
    >>> d.action, d.mask.tolist(), d.voxels
    ('zeroed', [[0, 0]], 0)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from segcls3d.labels import ClassDefinition


@dataclass(frozen=True)
class BoostDecision:
    """Outcome for one case: ``pseudo_mask`` | ``zeroed`` | ``excluded``, the mask to write, a reason.

    ``voxels`` counts the foreground of the mask to write (for ``excluded``: of the mask as it was
    after removing negative classes).
    """

    action: str
    mask: Optional[np.ndarray]
    voxels: int
    reason: str


def boost_pseudo_mask(mask: np.ndarray, case_label: np.ndarray, classes: Sequence[ClassDefinition],
                      ignore_label: Optional[int] = None) -> BoostDecision:
    """Apply the boosted rules to a teacher mask given the case's class labels (NaN = unknown)."""
    mask = np.array(mask, copy=True)
    mask_classes = [(c, float(v)) for c, v in zip(classes, case_label) if c.label_ids]
    removed: list[str] = []
    for c, value in mask_classes:
        if value == 0:
            hit = np.isin(mask, c.label_ids)
            n = int(hit.sum())
            mask[hit] = 0
            removed.append(f"{c.name} ({n} voxels removed)" if n else c.name)
    fg = mask != 0 if ignore_label is None else (mask != 0) & (mask != ignore_label)
    voxels = int(fg.sum())
    empty_positive = [c.name for c, value in mask_classes if value == 1 and not np.isin(mask, c.label_ids).any()]
    if empty_positive:
        return BoostDecision("excluded", None, voxels,
                             f"positive for {', '.join(empty_positive)} but the pseudo mask has none: excluded")
    if mask_classes and all(value == 0 for _, value in mask_classes):
        return BoostDecision("zeroed", mask, voxels, f"negative: {', '.join(removed)}; all-background mask")
    parts = []
    positive = [c.name for c, v in mask_classes if v == 1]
    unknown = [c.name for c, v in mask_classes if np.isnan(v)]
    if positive:
        parts.append(f"positive: {', '.join(positive)} found")
    if removed:
        parts.append(f"negative: {', '.join(removed)}")
    if unknown:
        parts.append(f"unknown: {', '.join(unknown)} kept from the teacher")
    return BoostDecision("pseudo_mask", mask, voxels, "; ".join(parts) or "teacher mask")
