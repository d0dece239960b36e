"""Confusion-matrix metrics at a fixed operating point: recall, specificity, precision, balanced accuracy.

An undefined rate (no positives, no negatives, no predicted positives) is NaN with a warning,
never 0 or 1.

Example:
    >>> m = compute_confusion_metrics([1, 1, 0, 0], [1, 0, 0, 0])
    >>> (m.recall, m.specificity, m.precision, m.balanced_accuracy)
    (0.5, 1.0, 1.0, 0.75)
"""
from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["ConfusionMetrics", "compute_confusion_metrics", "confusion_counts", "rates_from_counts", "RATE_NAMES"]

RATE_NAMES: tuple[str, ...] = ("balanced_accuracy", "recall", "precision", "specificity")


@dataclass(frozen=True)
class ConfusionMetrics:
    """Counts and rates of binary predictions against binary labels."""

    tp: int
    fp: int
    tn: int
    fn: int
    recall: float
    specificity: float
    precision: float
    balanced_accuracy: float

    def to_dict(self) -> dict:
        return asdict(self)


def confusion_counts(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(tp, fp, tn, fn)`` summed over the last axis of 0/1 arrays (works on bootstrap batches)."""
    t = np.asarray(y_true).astype(bool)
    p = np.asarray(y_pred).astype(bool)
    tp = (t & p).sum(axis=-1)
    fp = (~t & p).sum(axis=-1)
    tn = (~t & ~p).sum(axis=-1)
    fn = (t & ~p).sum(axis=-1)
    return tp, fp, tn, fn


def rates_from_counts(tp, fp, tn, fn) -> dict[str, np.ndarray]:
    """Rates from counts (scalars or arrays); NaN where the denominator is zero, without warning."""
    tp, fp, tn, fn = (np.asarray(x, dtype=float) for x in (tp, fp, tn, fn))
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(tp + fn > 0, tp / (tp + fn), np.nan)
        specificity = np.where(tn + fp > 0, tn / (tn + fp), np.nan)
        precision = np.where(tp + fp > 0, tp / (tp + fp), np.nan)
    return {
        "balanced_accuracy": (recall + specificity) / 2.0,
        "recall": recall,
        "precision": precision,
        "specificity": specificity,
    }


def compute_confusion_metrics(y_true: np.ndarray, y_pred: np.ndarray, warn: bool = True) -> ConfusionMetrics:
    """Confusion counts and rates of 0/1 predictions.

    Args:
        y_true: 0/1 labels.
        y_pred: 0/1 predictions, same length.
        warn: emit a ``UserWarning`` for each undefined (NaN) rate.

    Raises:
        ValueError: different lengths or values other than 0/1.
    """
    y_true = np.asarray(y_true, dtype=float).ravel()
    y_pred = np.asarray(y_pred, dtype=float).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} values but y_pred has {y_pred.size}")
    for name, arr in (("y_true", y_true), ("y_pred", y_pred)):
        if not np.isin(arr, (0.0, 1.0)).all():
            raise ValueError(f"{name} must contain only 0 and 1")
    tp, fp, tn, fn = (int(c) for c in confusion_counts(y_true, y_pred))
    rates = {k: float(v) for k, v in rates_from_counts(tp, fp, tn, fn).items()}
    if warn:
        reasons = {"recall": "no positive cases", "specificity": "no negative cases",
                   "precision": "no predicted positives"}
        for name, reason in reasons.items():
            if np.isnan(rates[name]):
                warnings.warn(f"{name} is undefined ({reason}); returning NaN", UserWarning, stacklevel=2)
    return ConfusionMetrics(tp=tp, fp=fp, tn=tn, fn=fn, **rates)
