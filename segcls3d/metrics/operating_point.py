"""Youden operating point: the ROC threshold that maximizes J = sensitivity + specificity - 1.

A case is predicted positive when ``score >= threshold`` (scikit-learn's ``roc_curve`` convention).
Among equally good thresholds the highest is kept (first maximum along the curve). The "predict
nothing" point that ``roc_curve`` adds with an infinite threshold is never chosen, so the threshold
is always one of the scores.

Example:
    >>> op = youden_operating_point([0, 0, 1, 1, 1], [0.1, 0.4, 0.35, 0.8, 0.6])
    >>> op.threshold, op.tpr, op.fpr
    (0.6, 0.6666666666666666, 0.0)
"""
from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import roc_curve

from segcls3d.metrics.auroc import check_binary_scores

__all__ = ["OperatingPoint", "youden_operating_point", "apply_threshold"]


@dataclass(frozen=True)
class OperatingPoint:
    """A point of the ROC curve: threshold, true/false positive rate and Youden's J there."""

    threshold: float
    tpr: float
    fpr: float
    youden_index: float

    def to_dict(self) -> dict:
        return asdict(self)


def youden_operating_point(y_true: np.ndarray, y_score: np.ndarray) -> OperatingPoint:
    """Operating point maximizing Youden's J on the ROC curve of ``y_score``.

    Returns an all-NaN point and warns (``UserWarning``) when ``y_true`` holds a single class.

    Raises:
        ValueError: see :func:`segcls3d.metrics.auroc.check_binary_scores`.
    """
    y_true, y_score = check_binary_scores(y_true, y_score)
    if y_true.size == 0 or y_true.min() == y_true.max():
        warnings.warn(
            "Youden operating point is undefined with only one class in y_true; returning NaN",
            UserWarning,
            stacklevel=2,
        )
        nan = float("nan")
        return OperatingPoint(nan, nan, nan, nan)
    fpr, tpr, thresholds = roc_curve(y_true, y_score, drop_intermediate=False)
    finite = np.isfinite(thresholds) & (thresholds <= y_score.max())
    j = np.where(finite, tpr - fpr, -np.inf)
    best = int(np.argmax(j))
    return OperatingPoint(float(thresholds[best]), float(tpr[best]), float(fpr[best]), float(j[best]))


def apply_threshold(y_score: np.ndarray, threshold: float) -> np.ndarray:
    """0/1 predictions ``score >= threshold`` (all 0 for a NaN threshold)."""
    y_score = np.asarray(y_score, dtype=float)
    if np.isnan(threshold):
        return np.zeros(y_score.shape, dtype=np.int64)
    return (y_score >= threshold).astype(np.int64)
