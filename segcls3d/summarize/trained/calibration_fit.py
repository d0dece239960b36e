"""Fit one calibrator per class on out-of-fold scores, and measure it honestly by cross-fitting.

The calibrators that go into the file are fitted on all out-of-fold cases. The numbers reported
for them are not: for each split k a calibrator fitted on the other splits maps split k's scores,
and the Brier score and ECE of these held-out probabilities are compared with those of the raw
scores (``before``; none for a ranking score outside [0, 1] such as ``soft_volume``).

Example:
    >>> rng = np.random.default_rng(0); s = rng.uniform(size=400); y = (rng.uniform(size=400) < s**2) * 1.0
    >>> check = check_calibration("isotonic", s, y, np.arange(400) % 2)
    >>> check.brier_after < check.brier_before
    True
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from segcls3d.defaults import DEFAULT_CALIBRATION_BINS
from segcls3d.metrics import compute_brier, compute_ece
from segcls3d.summarize.calibrators import fit_calibrator
from segcls3d.summarize.trained.calibrated import CalibratedSummarizer

logger = logging.getLogger(__name__)
NOTE = ("out_of_fold: Brier score and ECE over the out-of-fold cases, each case mapped by a calibrator fitted "
        "without its split (before = raw score; null for a ranking score); the saved calibrators are fitted on "
        "all cases")


@dataclass(frozen=True)
class CalibrationCheck:
    """Held-out Brier score and ECE of one class before and after calibration (None: not a probability)."""

    n_cases: int
    n_positive: int
    brier_before: Optional[float]
    ece_before: Optional[float]
    brier_after: Optional[float]
    ece_after: Optional[float]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def cross_fitted_probabilities(method: str, scores: np.ndarray, y: np.ndarray, splits: np.ndarray) -> np.ndarray:
    """Each case's score mapped by a calibrator fitted on the other splits (NaN if those have no case)."""
    out = np.full(scores.shape, np.nan)
    for k in np.unique(splits):
        test = splits == k
        if (~test).any():
            out[test] = fit_calibrator(method, scores[~test], y[~test]).probability(scores[test])
    return out


def _brier_ece(y: np.ndarray, p: np.ndarray, n_bins: int) -> tuple[Optional[float], Optional[float]]:
    if p.size == 0 or p.min() < 0 or p.max() > 1:
        return None, None
    return compute_brier(y, p), compute_ece(y, p, n_bins)


def check_calibration(method: str, scores: np.ndarray, y: np.ndarray, splits: np.ndarray,
                      n_bins: int = DEFAULT_CALIBRATION_BINS) -> CalibrationCheck:
    """Cross-fitted Brier score and ECE of one class (cases with a known label and a finite score)."""
    keep = ~np.isnan(y) & np.isfinite(scores)
    s, labels, groups = scores[keep], y[keep], splits[keep]
    calibrated = cross_fitted_probabilities(method, s, labels, groups)
    held_out = np.isfinite(calibrated)
    brier_before, ece_before = _brier_ece(labels, s, n_bins)
    brier_after, ece_after = _brier_ece(labels[held_out], calibrated[held_out], n_bins)
    return CalibrationCheck(int(labels.size), int(labels.sum()), brier_before, ece_before, brier_after, ece_after)


def calibrate_summarizer(summarizer: Any, method: str, scores: np.ndarray, y: np.ndarray, classes: Sequence[str],
                         splits: np.ndarray, model: Mapping[str, Any], training: Mapping[str, Any],
                         split_source: str = "", n_bins: int = DEFAULT_CALIBRATION_BINS,
                         fit_method: str = "") -> CalibratedSummarizer:
    """Wrap ``summarizer`` with one ``method`` calibrator per class fitted on its out-of-fold ``scores``.

    Args:
        summarizer: the summarizer whose scores (N, n_classes) these are.
        method: ``isotonic`` or ``platt``.
        y: labels (N, n_classes), NaN where unknown.
        splits: split number per case, for the cross-fitted check.
        model, training: the file's model signature and fitting metadata (the check is added).
        fit_method: the wrapped summarizer's fitting method (default: its ``method`` or ``rule_based``).

    Raises:
        ValueError: unknown method, or a class without a case with a known label and a finite score.
    """
    calibrators, checks = {}, {}
    for j, name in enumerate(classes):
        keep = ~np.isnan(y[:, j]) & np.isfinite(scores[:, j])
        if not keep.any():
            raise ValueError(f"class '{name}': no out-of-fold case with a label and a score to calibrate on")
        calibrators[name] = fit_calibrator(method, scores[keep, j], y[keep, j])
        checks[name] = check_calibration(method, scores[:, j], y[:, j], splits, n_bins)
        c = checks[name]
        logger.info("%s calibration of %s (%d cases, held out): Brier %s -> %s, ECE %s -> %s", method, name,
                    c.n_cases, _fmt(c.brier_before), _fmt(c.brier_after), _fmt(c.ece_before), _fmt(c.ece_after))
    report = {"method": method, "n_bins": n_bins, "splits": split_source,
              "out_of_fold": {c: checks[c].to_dict() for c in classes}, "note": NOTE}
    return CalibratedSummarizer(fit_method or getattr(summarizer, "method", "rule_based"), classes, model,
                                summarizer, calibrators, training={**training, "calibration": report})


def calibration_rows(summarizer: CalibratedSummarizer) -> list[tuple[str, str, str, str, str]]:
    """Rows (class, Brier before, Brier after, ECE before, ECE after) of a calibrated summarizer, for the CLI."""
    checks = summarizer.training.get("calibration", {}).get("out_of_fold", {})
    return [(c, _fmt(v.get("brier_before")), _fmt(v.get("brier_after")), _fmt(v.get("ece_before")),
             _fmt(v.get("ece_after"))) for c, v in checks.items()]


def _fmt(value: Optional[float]) -> str:
    return "n/a" if value is None else f"{value:.4f}"
