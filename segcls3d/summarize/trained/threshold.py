"""The rule-based g with t and tau tuned on out-of-fold predictions (kind ``tuned_threshold``).

For each class separately a grid of voxel thresholds t (default 0.1, 0.2, ..., 0.9) and, for each
t, every size cut-off tau (in voxels) that changes some case's label (midpoints between the distinct
positive-voxel counts of the cases, see :func:`candidate_taus`) is scored: first by the AUROC of the
paper's Algorithm 2 score, then by the balanced accuracy of the Algorithm 1 label; remaining ties
go to t nearest 0.5, then the smaller tau. The result applies one
:class:`~segcls3d.summarize.RuleBasedSummarizer` per class; the file stores each as a regular
``rule_based`` settings dict, so ``RuleBasedSummarizer.from_dict(d["rules"][cls])`` rebuilds it.
"""
from __future__ import annotations

import logging
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from segcls3d.errors import InputDataError
from segcls3d.metrics import auroc_from_ranks
from segcls3d.summarize.base import ClassSummary, register_summarizer
from segcls3d.summarize.geometry import ImageGeometry
from segcls3d.summarize.rule_based import RuleBasedSummarizer
from segcls3d.summarize.trained.base import TrainedSummarizerBase

logger = logging.getLogger(__name__)
DEFAULT_THRESHOLDS = tuple(round(0.1 * i, 1) for i in range(1, 10))
MAX_TAUS = 64


def threshold_statistics(probabilities: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    """Per threshold t: [count(p >= t), sum(p | p >= t)], then the total sum and voxel count.

    Returns a float64 vector of length ``2 * len(thresholds) + 2`` (what :func:`tune_class` needs).
    """
    p = np.asarray(probabilities)
    stats = []
    for t in thresholds:
        mask = p >= t
        stats += [np.count_nonzero(mask), float(np.sum(p, where=mask, dtype=np.float64))]
    return np.asarray(stats + [float(np.sum(p, dtype=np.float64)), p.size], dtype=np.float64)


def _paper_scores(count, pos_sum, total, size, t, labels):
    """Algorithm 2 of the paper for many cases (and cut-offs) at once; empty sets give t."""
    with np.errstate(invalid="ignore", divide="ignore"):
        pos = np.where(count > 0, pos_sum / np.maximum(count, 1), t)
        neg = np.where(size - count > 0, (total - pos_sum) / np.maximum(size - count, 1), t)
    return np.where(labels, pos, np.clip(neg, 0.0, t))


def statistics_scores(stats: np.ndarray, thresholds: Sequence[float], threshold: float, tau: float) -> np.ndarray:
    """Algorithm 2 scores at (t, tau in voxels) of cases from their :func:`threshold_statistics` rows.

    The same values as ``RuleBasedSummarizer(threshold, tau).summarize_map(...).probability``.

    Raises:
        ValueError: ``threshold`` is not one of ``thresholds``.
    """
    i = list(thresholds).index(threshold)
    count, pos_sum, total, size = stats[:, 2 * i], stats[:, 2 * i + 1], stats[:, -2], stats[:, -1]
    return _paper_scores(count, pos_sum, total, size, threshold, count >= tau)


def candidate_taus(counts: np.ndarray) -> np.ndarray:
    """Cut-offs that give every distinct labelling of cases by ``count >= tau``: 0, then the midpoint
    (rounded up) between consecutive distinct counts -- the max-margin choice among equivalent cut-offs.
    At most :data:`MAX_TAUS` (quantiles of the counts beyond that)."""
    values = np.unique(counts)
    if values.size > MAX_TAUS:
        values = np.unique(np.round(np.quantile(values, np.linspace(0, 1, MAX_TAUS))))
    return np.concatenate([[0.0], np.ceil((values[:-1] + values[1:]) / 2.0)])


def tune_class(stats: np.ndarray, y: np.ndarray, thresholds: Sequence[float]) -> dict:
    """Best (t, tau) for one class from :func:`threshold_statistics` rows of cases with known label y.

    Returns:
        ``{"threshold", "tau", "auroc", "balanced_accuracy"}`` (AUROC NaN if y has one class only).
    """
    y = np.asarray(y, dtype=float)
    total, size = stats[:, -2], stats[:, -1]
    best: Optional[tuple] = None
    result: dict = {}
    for i, t in enumerate(thresholds):
        count, pos_sum = stats[:, 2 * i], stats[:, 2 * i + 1]
        taus = candidate_taus(count)
        labels = count[None, :] >= taus[:, None]  # (n_tau, n_cases)
        scores = _paper_scores(count[None], pos_sum[None], total[None], size[None], t, labels)
        auroc = auroc_from_ranks(np.broadcast_to(y, scores.shape), scores)
        n_pos, n_neg = max(y.sum(), 1), max((1 - y).sum(), 1)
        bacc = 0.5 * ((labels & (y == 1)).sum(1) / n_pos + (~labels & (y == 0)).sum(1) / n_neg)
        for k, tau in enumerate(taus):
            key = (-np.inf if np.isnan(auroc[k]) else round(float(auroc[k]), 6), round(float(bacc[k]), 6),
                   -abs(t - 0.5), -tau)
            if best is None or key > best:
                best = key
                result = {"threshold": float(t), "tau": float(tau), "auroc": float(auroc[k]),
                          "balanced_accuracy": float(bacc[k])}
    return result


@register_summarizer("tuned_threshold")
class TunedThresholdSummarizer(TrainedSummarizerBase):
    """One rule-based summarizer per class, with t and tau tuned on out-of-fold predictions.

    Args:
        rules: class -> ``RuleBasedSummarizer`` or its ``to_dict()``.
        Other arguments: see :class:`TrainedSummarizerBase`; ``label_threshold`` is unused (the
        label is Algorithm 1's).

    Raises:
        ValueError: a class has no rule or a rule is invalid.
    """

    kind = "tuned_threshold"

    def __init__(self, method: str, classes: Sequence[str], model: Mapping[str, Any],
                 rules: Mapping[str, Any], **common):
        super().__init__(method, classes, model, **common)
        missing = [c for c in self.classes if c not in rules]
        if missing:
            raise ValueError(f"tuned_threshold: no rule for class(es) {missing}")
        self.rules = {c: r if isinstance(r, RuleBasedSummarizer) else RuleBasedSummarizer.from_dict(r)
                      for c, r in rules.items() if c in self.classes}

    def to_dict(self) -> dict:
        return {**self.common_dict(), "rules": {c: r.to_dict() for c, r in self.rules.items()}}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "TunedThresholdSummarizer":
        common, own = cls.split_dict(d, ("rules",))
        return cls(rules=own["rules"], **common)

    def summarize(self, class_maps: Mapping[str, np.ndarray], spacing: Sequence[float],
                  geometry: Optional[ImageGeometry] = None, features=None) -> dict[str, ClassSummary]:
        """Each class through its own tuned :class:`RuleBasedSummarizer` (statistics at its t)."""
        missing = [c for c in self.classes if c not in class_maps]
        if missing:
            raise InputDataError(f"no probability map for class(es) {missing} (have {sorted(class_maps)})")
        return {c: self.rules[c].summarize_map(class_maps[c], spacing, geometry, name=c) for c in self.classes}
