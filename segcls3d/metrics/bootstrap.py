"""Percentile bootstrap confidence intervals sharing one set of resamples across metrics.

All metrics of one class/score source are computed on the SAME resampled case indices, so their
intervals are comparable (as in Hooper et al. 2023, A5.2: 1000 iterations, 95% CI). Resamples
that contain a single class are skipped (AUROC, recall or specificity would be undefined) and
counted.

Example:
    >>> import numpy as np
    >>> y = np.array([0, 1] * 20)
    >>> result = bootstrap_metrics(y, {"prevalence": lambda idx: y[idx].mean(axis=-1)}, n_bootstrap=100)
    >>> 0.3 < result.intervals["prevalence"].lower < 0.5 < result.intervals["prevalence"].upper < 0.7
    True
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

__all__ = ["ConfidenceInterval", "BootstrapResult", "bootstrap_metrics", "compute_percentile_interval"]

#: A statistic maps an index matrix ``(n_resamples, n_cases)`` to one value per resample.
Statistic = Callable[[np.ndarray], np.ndarray]

_MAX_CHUNK_ELEMENTS = 4_000_000


@dataclass(frozen=True)
class ConfidenceInterval:
    """A two-sided percentile interval; NaN bounds when no resample gave a defined value."""

    lower: float
    upper: float
    level: float
    n_defined: int

    def to_dict(self) -> dict:
        return {"lower": self.lower, "upper": self.upper, "level": self.level, "n_defined": self.n_defined}


@dataclass(frozen=True)
class BootstrapResult:
    """Intervals per metric name plus the resampling bookkeeping."""

    intervals: dict[str, ConfidenceInterval] = field(default_factory=dict)
    n_requested: int = 0
    n_used: int = 0
    n_skipped_single_class: int = 0
    seed: int = 0


def compute_percentile_interval(values: np.ndarray, level: float = 0.95) -> ConfidenceInterval:
    """Percentile interval of bootstrap ``values``; NaN entries (undefined resamples) are ignored."""
    values = np.asarray(values, dtype=float).ravel()
    defined = values[np.isfinite(values)]
    if defined.size == 0:
        return ConfidenceInterval(float("nan"), float("nan"), level, 0)
    alpha = (1.0 - level) / 2.0
    lower, upper = np.quantile(defined, [alpha, 1.0 - alpha])
    return ConfidenceInterval(float(lower), float(upper), level, int(defined.size))


def bootstrap_metrics(
    y_true: np.ndarray,
    statistics: Mapping[str, Statistic],
    n_bootstrap: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> BootstrapResult:
    """Bootstrap intervals for several statistics over the same resampled cases.

    Resample indices are drawn with ``numpy.random.default_rng(seed)`` in fixed-size chunks, so the
    result depends only on ``seed``, ``n_bootstrap`` and ``len(y_true)``.

    Args:
        y_true: 0/1 labels of the cases; used to skip single-class resamples.
        statistics: name -> vectorized statistic taking an index matrix ``(m, n)`` and returning ``(m,)``.
        n_bootstrap: number of resamples drawn (0 gives NaN intervals).
        seed: seed of the numpy Generator.
        level: confidence level of the two-sided percentile interval.

    Raises:
        ValueError: negative ``n_bootstrap`` or ``level`` outside (0, 1).
    """
    if n_bootstrap < 0:
        raise ValueError(f"n_bootstrap must be >= 0, got {n_bootstrap}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    y_true = np.asarray(y_true).ravel()
    n = y_true.size
    rng = np.random.default_rng(seed)
    chunk = max(1, _MAX_CHUNK_ELEMENTS // max(n, 1))
    collected: dict[str, list[np.ndarray]] = {name: [] for name in statistics}
    n_used = 0
    drawn = 0
    while n > 0 and drawn < n_bootstrap:
        size = min(chunk, n_bootstrap - drawn)
        idx = rng.integers(0, n, size=(size, n))
        drawn += size
        resampled = y_true[idx]
        idx = idx[resampled.min(axis=1) != resampled.max(axis=1)]
        n_used += idx.shape[0]
        if idx.shape[0] == 0:
            continue
        for name, statistic in statistics.items():
            collected[name].append(np.asarray(statistic(idx), dtype=float).reshape(idx.shape[0]))
    n_skipped = drawn - n_used
    if n_bootstrap > 0 and n_used == 0:
        warnings.warn(
            f"all {n_bootstrap} bootstrap resamples contained a single class; confidence intervals are NaN",
            UserWarning,
            stacklevel=2,
        )
    intervals = {
        name: compute_percentile_interval(np.concatenate(parts) if parts else np.empty(0), level)
        for name, parts in collected.items()
    }
    return BootstrapResult(intervals, n_bootstrap, n_used, n_skipped, seed)
