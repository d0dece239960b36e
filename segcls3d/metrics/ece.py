"""Expected calibration error (ECE) over equal-width probability bins, and the bins of a reliability diagram.

``ECE = sum_b n_b / N * |mean(y in b) - mean(p in b)|`` over ``n_bins`` equal-width bins of [0, 1].
Bins follow scikit-learn's ``calibration_curve(strategy="uniform")``: bin ``k`` is
``(k / n_bins, (k + 1) / n_bins]``, the first bin also holds 0. Empty bins add nothing.

Since ``n_b / N * |mean(y) - mean(p)| = |sum_b (y - p)| / N``, the bootstrap statistic needs one
weighted ``bincount`` per resample matrix (:func:`ece_of_resamples`).

Example:
    >>> compute_ece([0, 1, 1, 0], [0.2, 0.2, 0.9, 0.9], n_bins=2)
    0.35
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from sklearn.calibration import calibration_curve

__all__ = ["CalibrationBins", "bin_edges", "bin_ids", "calibration_bins", "check_binary_probabilities",
           "compute_ece", "ece_of_resamples"]


@dataclass(frozen=True)
class CalibrationBins:
    """Per equal-width bin: edges, case count, mean predicted probability and observed frequency (NaN if empty)."""

    edges: np.ndarray
    counts: np.ndarray
    mean_predicted: np.ndarray
    observed_frequency: np.ndarray

    @property
    def n_bins(self) -> int:
        return int(self.counts.size)

    @property
    def ece(self) -> float:
        """Count-weighted mean absolute gap between observed frequency and mean probability (NaN if no case)."""
        total = int(self.counts.sum())
        if total == 0:
            return float("nan")
        filled = self.counts > 0
        gaps = np.abs(self.observed_frequency[filled] - self.mean_predicted[filled])
        return float(np.sum(self.counts[filled] / total * gaps))


def check_binary_probabilities(y_true: ArrayLike, y_prob: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``(y_true, y_prob)`` as 1-D float arrays.

    Raises:
        ValueError: different lengths, labels other than 0/1, probabilities outside [0, 1] or not finite.
    """
    y = np.asarray(y_true, dtype=float).ravel()
    p = np.asarray(y_prob, dtype=float).ravel()
    if y.size != p.size:
        raise ValueError(f"y_true has {y.size} values but y_prob has {p.size}")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"labels must be 0 or 1, got {sorted(set(y[~np.isin(y, (0.0, 1.0))].tolist()))[:5]}")
    if not (np.isfinite(p).all() and (p >= 0).all() and (p <= 1).all()):
        raise ValueError("probabilities must be finite and lie in [0, 1]")
    return y, p


def bin_edges(n_bins: int) -> np.ndarray:
    """``n_bins + 1`` equal-width edges of [0, 1].

    Raises:
        ValueError: ``n_bins < 1``.
    """
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins}")
    return np.linspace(0.0, 1.0, n_bins + 1)


def bin_ids(y_prob: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin index of every probability (scikit-learn's ``calibration_curve`` binning)."""
    return np.searchsorted(bin_edges(n_bins)[1:-1], np.asarray(y_prob, dtype=float))


def calibration_bins(y_true: ArrayLike, y_prob: ArrayLike, n_bins: int = 10) -> CalibrationBins:
    """Counts, mean probability and observed frequency per bin (means from scikit-learn's ``calibration_curve``).

    Raises:
        ValueError: see :func:`check_binary_probabilities`; ``n_bins < 1``.
    """
    y, p = check_binary_probabilities(y_true, y_prob)
    edges = bin_edges(n_bins)
    counts = np.bincount(bin_ids(p, n_bins), minlength=n_bins)
    observed = np.full(n_bins, np.nan)
    predicted = np.full(n_bins, np.nan)
    if y.size:
        filled = counts > 0
        observed[filled], predicted[filled] = calibration_curve(y, p, n_bins=n_bins, strategy="uniform", pos_label=1)
    return CalibrationBins(edges, counts, predicted, observed)


def compute_ece(y_true: ArrayLike, y_prob: ArrayLike, n_bins: int = 10) -> float:
    """Expected calibration error with ``n_bins`` equal-width bins; NaN (with a warning) without cases.

    Raises:
        ValueError: see :func:`check_binary_probabilities`; ``n_bins < 1``.
    """
    bins = calibration_bins(y_true, y_prob, n_bins)
    if bins.counts.sum() == 0:
        warnings.warn("ECE of no case is undefined; returning NaN", UserWarning, stacklevel=2)
    return bins.ece


def ece_of_resamples(y_true: np.ndarray, y_prob: np.ndarray, idx: np.ndarray, n_bins: int = 10) -> np.ndarray:
    """ECE of each row of an index matrix ``(m, n)`` (bootstrap resamples); inputs assumed checked."""
    idx = np.atleast_2d(idx)
    m, n = idx.shape
    if n == 0:
        return np.full(m, np.nan)
    residual = (np.asarray(y_true, dtype=float) - np.asarray(y_prob, dtype=float))[idx]
    flat = (np.arange(m)[:, None] * n_bins + bin_ids(y_prob, n_bins)[idx]).ravel()
    per_bin = np.bincount(flat, weights=residual.ravel(), minlength=m * n_bins).reshape(m, n_bins)
    return np.abs(per_bin).sum(axis=1) / n
