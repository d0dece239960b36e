"""Strict recall: a true positive must also point at the right place.

Hooper et al. (2023, Sec. 5) count a positive case as found only if the image-level prediction is
positive AND the predicted mask overlaps the ground-truth region. Plain recall counts the first
condition only, so ``strict_recall <= recall`` on the same cases.

Example:
    >>> r = compute_strict_recall([1, 1, 1, 0], [1, 1, 0, 1], [True, False, True, True])
    >>> (r.recall, r.strict_recall)
    (0.6666666666666666, 0.3333333333333333)
"""
from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["StrictRecallResult", "compute_strict_recall", "masks_overlap"]


@dataclass(frozen=True)
class StrictRecallResult:
    """Strict and plain recall over the same positive cases."""

    strict_recall: float
    recall: float
    n_positive: int
    n_detected: int
    n_detected_and_located: int

    def to_dict(self) -> dict:
        return asdict(self)


def masks_overlap(pred_mask: np.ndarray, gt_mask: np.ndarray, min_voxels: int = 1) -> bool:
    """True if the two binary masks share at least ``min_voxels`` voxels.

    Raises:
        ValueError: the masks have different shapes.
    """
    pred_mask = np.asarray(pred_mask, dtype=bool)
    gt_mask = np.asarray(gt_mask, dtype=bool)
    if pred_mask.shape != gt_mask.shape:
        raise ValueError(f"mask shapes differ: {pred_mask.shape} vs {gt_mask.shape}")
    return int(np.count_nonzero(pred_mask & gt_mask)) >= min_voxels


def compute_strict_recall(y_true: np.ndarray, y_pred: np.ndarray, located: np.ndarray) -> StrictRecallResult:
    """Fraction of positive cases that are predicted positive and correctly located.

    Args:
        y_true: 0/1 image-level labels.
        y_pred: 0/1 image-level predictions at the chosen operating point.
        located: per case, whether the predicted region overlaps the true region
            (see :func:`masks_overlap`); only read for positive cases.

    Returns NaN (with a ``UserWarning``) when there is no positive case.

    Raises:
        ValueError: arrays of different lengths or labels/predictions other than 0/1.
    """
    y_true = np.asarray(y_true, dtype=float).ravel()
    y_pred = np.asarray(y_pred, dtype=float).ravel()
    located = np.asarray(located, dtype=bool).ravel()
    if not (y_true.shape == y_pred.shape == located.shape):
        raise ValueError(f"lengths differ: y_true {y_true.size}, y_pred {y_pred.size}, located {located.size}")
    if not (np.isin(y_true, (0.0, 1.0)).all() and np.isin(y_pred, (0.0, 1.0)).all()):
        raise ValueError("y_true and y_pred must contain only 0 and 1")
    positive = y_true == 1
    detected = positive & (y_pred == 1)
    strict = detected & located
    n_pos = int(positive.sum())
    if n_pos == 0:
        warnings.warn("strict recall is undefined without positive cases; returning NaN", UserWarning, stacklevel=2)
        return StrictRecallResult(float("nan"), float("nan"), 0, 0, 0)
    return StrictRecallResult(
        strict_recall=float(strict.sum() / n_pos),
        recall=float(detected.sum() / n_pos),
        n_positive=n_pos,
        n_detected=int(detected.sum()),
        n_detected_and_located=int(strict.sum()),
    )
