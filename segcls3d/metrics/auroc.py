"""Area under the ROC curve: scikit-learn for the point estimate, a rank form for bootstrap batches.

Example:
    >>> compute_auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import roc_auc_score

__all__ = ["compute_auroc", "auroc_from_ranks", "check_binary_scores"]


def check_binary_scores(y_true: np.ndarray, y_score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(y_true, y_score)`` as 1-D float arrays after checking they fit together.

    Raises:
        ValueError: different lengths, labels other than 0/1, or non-finite scores.
    """
    y_true = np.asarray(y_true, dtype=float).ravel()
    y_score = np.asarray(y_score, dtype=float).ravel()
    if y_true.shape != y_score.shape:
        raise ValueError(f"y_true has {y_true.size} values but y_score has {y_score.size}")
    if not np.isin(y_true, (0.0, 1.0)).all():
        raise ValueError("y_true must contain only 0 and 1 (drop unknown labels first)")
    if not np.isfinite(y_score).all():
        raise ValueError("y_score contains NaN or infinite values")
    return y_true, y_score


def compute_auroc(y_true: np.ndarray, y_score: np.ndarray) -> float:
    """AUROC of scores against binary labels (``sklearn.metrics.roc_auc_score``).

    Returns NaN and warns (``UserWarning``) when ``y_true`` holds only one class.

    Raises:
        ValueError: see :func:`check_binary_scores`.
    """
    y_true, y_score = check_binary_scores(y_true, y_score)
    if y_true.size == 0 or y_true.min() == y_true.max():
        warnings.warn("AUROC is undefined with only one class in y_true; returning NaN", UserWarning, stacklevel=2)
        return float("nan")
    return float(roc_auc_score(y_true, y_score))


def auroc_from_ranks(y_true: np.ndarray, y_score: np.ndarray) -> np.ndarray:
    """AUROC along the last axis via the Mann-Whitney U statistic (ties count one half).

    Equal to ``roc_auc_score`` for each row; vectorized so a whole batch of bootstrap resamples
    costs one sort. Rows with a single class give NaN, silently (the caller counts them).

    Args:
        y_true: 0/1 labels, shape ``(..., n)``.
        y_score: scores, same shape.
    """
    y_true = np.asarray(y_true, dtype=float)
    ranks = rankdata(np.asarray(y_score, dtype=float), axis=-1)
    n_pos = y_true.sum(axis=-1)
    n_neg = y_true.shape[-1] - n_pos
    u_stat = (ranks * y_true).sum(axis=-1) - n_pos * (n_pos + 1) / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((n_pos > 0) & (n_neg > 0), u_stat / (n_pos * n_neg), np.nan)
