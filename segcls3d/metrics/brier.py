"""Brier score: mean squared difference between predicted probability and the 0/1 label.

The point value is scikit-learn's ``brier_score_loss``; :func:`brier_of_resamples` is the same
mean over bootstrap index matrices. Lower is better; 0.25 is what a constant 0.5 scores.

Example:
    >>> round(compute_brier([0, 1, 1], [0.1, 0.8, 0.6]), 4)
    0.07
"""
from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import brier_score_loss

from segcls3d.metrics.ece import check_binary_probabilities

__all__ = ["compute_brier", "brier_of_resamples"]


def compute_brier(y_true: ArrayLike, y_prob: ArrayLike) -> float:
    """Brier score of probabilities against 0/1 labels; NaN (with a warning) without cases.

    Raises:
        ValueError: different lengths, labels other than 0/1, probabilities outside [0, 1].
    """
    y, p = check_binary_probabilities(y_true, y_prob)
    if y.size == 0:
        warnings.warn("Brier score of no case is undefined; returning NaN", UserWarning, stacklevel=2)
        return float("nan")
    return float(brier_score_loss(y, p, pos_label=1, labels=[0, 1]))


def brier_of_resamples(y_true: np.ndarray, y_prob: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Brier score of each row of an index matrix ``(m, n)`` (bootstrap resamples); inputs assumed checked."""
    squared = (np.asarray(y_prob, dtype=float) - np.asarray(y_true, dtype=float)) ** 2
    return squared[np.atleast_2d(idx)].mean(axis=1)
