"""Calibration of one class and score source: is a predicted 0.8 right about 80% of the time?

Brier score and expected calibration error (ECE, equal-width bins) with percentile bootstrap CIs
drawn like the AUROC's (same seed, same number of cases: the same resamples), plus the bins of the
reliability diagram. Ranking scores (``soft_volume``) are not probabilities: no numbers, the note
``"n/a (ranking score)"`` instead.
"""
from __future__ import annotations

import numpy as np

from segcls3d.defaults import DEFAULT_CALIBRATION_BINS
from segcls3d.evaluate.calibration_result import RANKING_NOTE, SINGLE_CLASS_NOTE, Calibration, ReliabilityBin
from segcls3d.evaluate.classification import prefixed_warnings
from segcls3d.evaluate.estimate import Estimate, optional_float
from segcls3d.evaluate.inputs import SourceScores
from segcls3d.metrics.bootstrap import bootstrap_metrics
from segcls3d.metrics.brier import brier_of_resamples, compute_brier
from segcls3d.metrics.ece import CalibrationBins, calibration_bins, ece_of_resamples

__all__ = ["DEFAULT_CALIBRATION_BINS", "evaluate_calibration"]


def _reliability_bins(bins: CalibrationBins) -> tuple[ReliabilityBin, ...]:
    return tuple(
        ReliabilityBin(float(bins.edges[k]), float(bins.edges[k + 1]), int(bins.counts[k]),
                       optional_float(bins.mean_predicted[k]), optional_float(bins.observed_frequency[k]))
        for k in range(bins.n_bins)
    )


def evaluate_calibration(
    scores: SourceScores,
    ranking: bool = False,
    n_bins: int = DEFAULT_CALIBRATION_BINS,
    n_bootstrap: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    context: str = "scores",
) -> Calibration:
    """Brier score and ECE (with bootstrap CIs) and the reliability bins of one class and source.

    Args:
        scores: labels and scores of the cases with a known label (see ``source_scores``).
        ranking: the score is a rank, not a probability: nothing is computed.
        n_bins: equal-width bins of [0, 1] for the ECE and the diagram.
        n_bootstrap: resamples for the CIs (0: no CIs).
        seed: bootstrap seed (the AUROC's, so both use the same resamples).
        level: confidence level.
        context: prefix for warnings, e.g. ``"class 'lesion' (summarizer)"``.

    A single label value gives no numbers (``evaluate_source`` has already warned).

    Raises:
        ValueError: ``n_bins < 1``; labels other than 0/1 or probabilities outside [0, 1].
    """
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1, got {n_bins}")
    if ranking:
        return Calibration.not_available(RANKING_NOTE, "ranking", n_bins)
    y_true = np.asarray(scores.y_true, dtype=float).ravel()
    y_prob = np.asarray(scores.y_score, dtype=float).ravel()
    if int((y_true == 1).sum()) in (0, y_true.size):
        return Calibration.not_available(SINGLE_CLASS_NOTE, "probability", n_bins)
    bins = calibration_bins(y_true, y_prob, n_bins)
    brier = compute_brier(y_true, y_prob)
    statistics = {"brier": lambda idx: brier_of_resamples(y_true, y_prob, idx),
                  "ece": lambda idx: ece_of_resamples(y_true, y_prob, idx, n_bins)}
    with prefixed_warnings(context):
        boot = bootstrap_metrics(y_true, statistics, n_bootstrap=n_bootstrap, seed=seed, level=level)
    return Calibration("probability", n_bins, Estimate.of(brier, boot.intervals.get("brier")),
                       Estimate.of(bins.ece, boot.intervals.get("ece")), _reliability_bins(bins))
