"""The per-class threshold of weak masks: the relative threshold that maximises IoU on expert masks.

CheXseg (Gadgil et al., App. A.1) picks, per pathology, the threshold of the normalised Grad-CAM
maps that maximises IoU against the expert masks. :func:`iou_curve` gives one case's IoU at every
candidate threshold at once (sorted values + binary search instead of one mask per threshold);
:func:`search_threshold` averages the curves over the cases (cases whose masks are both empty at a
threshold do not count there) and takes the best threshold (the lowest of ties).

Example:
    >>> relative = np.array([0.2, 0.6, 0.9, 1.0]); expert = np.array([0, 0, 1, 1], bool)
    >>> iou_curve(relative, expert, np.array([0.5, 0.8])).tolist()
    [0.6666666666666666, 1.0]
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

import numpy as np

#: candidate relative thresholds 0.01, 0.02, ..., 1.00
THRESHOLD_GRID: np.ndarray = np.round(np.arange(1, 101) / 100.0, 2)


@dataclass(frozen=True)
class ThresholdSearch:
    """Outcome of the search for one class.

    Attributes:
        threshold: the best relative threshold, or None when no case was searched (use Otsu).
        mean_iou: mean IoU of the cases at that threshold (None without cases).
        n_cases: cases searched.
    """

    threshold: Optional[float]
    mean_iou: Optional[float]
    n_cases: int

    @property
    def method(self) -> str:
        return "max_iou" if self.threshold is not None else "otsu"

    def to_dict(self) -> dict:
        return {"method": self.method, "threshold": self.threshold, "mean_iou": self.mean_iou,
                "n_cases": self.n_cases}


def iou_curve(relative: np.ndarray, expert: np.ndarray, thresholds: np.ndarray = THRESHOLD_GRID) -> np.ndarray:
    """IoU of ``relative >= t`` with ``expert`` for every ``t`` in ``thresholds`` (NaN where both are empty).

    Raises:
        ValueError: the arrays differ in shape.
    """
    relative = np.asarray(relative, dtype=np.float32)
    expert = np.asarray(expert, dtype=bool)
    if relative.shape != expert.shape:
        raise ValueError(f"map and mask shapes differ: {relative.shape} vs {expert.shape}")
    t = np.asarray(thresholds, dtype=np.float32)
    every = np.sort(relative, axis=None)
    inside = np.sort(relative[expert], axis=None)
    n_pred = every.size - np.searchsorted(every, t, side="left")
    intersection = inside.size - np.searchsorted(inside, t, side="left")
    union = n_pred + inside.size - intersection
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, intersection / np.maximum(union, 1), np.nan)


def search_threshold(cases: Iterable[tuple[np.ndarray, np.ndarray]],
                     thresholds: np.ndarray = THRESHOLD_GRID) -> ThresholdSearch:
    """Best relative threshold over ``(relative map, expert mask)`` pairs, read one at a time."""
    total = np.zeros(len(thresholds))
    count = np.zeros(len(thresholds))
    n = 0
    for relative, expert in cases:
        curve = iou_curve(relative, expert, thresholds)
        known = ~np.isnan(curve)
        total[known] += curve[known]
        count[known] += 1
        n += 1
    if n == 0 or not count.any():
        return ThresholdSearch(None, None, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), -1.0)
    best = int(np.argmax(mean))
    return ThresholdSearch(float(thresholds[best]), float(mean[best]), n)
