"""Image-level evaluation of one class and one score source: AUROC, Youden and model operating points.

Every metric gets a percentile bootstrap CI computed on the same resampled cases. The Youden
threshold is chosen once on all cases and kept fixed inside the bootstrap (the CI describes the
metrics at that threshold, not the variability of choosing it).
"""
from __future__ import annotations

import warnings
from contextlib import contextmanager
from typing import Iterator, Mapping, Optional

import numpy as np
from sklearn.metrics import roc_curve

from segcls3d.evaluate.inputs import SourceScores
from segcls3d.evaluate.source_result import (
    BootstrapInfo,
    Estimate,
    OperatingPointResult,
    RocCurve,
    SourceResult,
    YoudenPoint,
    optional_float,
)
from segcls3d.metrics.auroc import auroc_from_ranks, compute_auroc
from segcls3d.metrics.bootstrap import ConfidenceInterval, bootstrap_metrics
from segcls3d.metrics.confusion import (
    RATE_NAMES,
    ConfusionMetrics,
    compute_confusion_metrics,
    confusion_counts,
    rates_from_counts,
)
from segcls3d.metrics.operating_point import apply_threshold, youden_operating_point

NAN = float("nan")


@contextmanager
def prefixed_warnings(prefix: str) -> Iterator[None]:
    """Re-emit warnings raised inside the block with ``prefix`` (which class, which source)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        warnings.warn(f"{prefix}: {w.message}", w.category, stacklevel=3)


def _rate_statistic(y_true: np.ndarray, y_pred: np.ndarray, rate: str):
    def statistic(idx: np.ndarray) -> np.ndarray:
        return rates_from_counts(*confusion_counts(y_true[idx], y_pred[idx]))[rate]

    return statistic


def _auroc_statistic(y_true: np.ndarray, y_score: np.ndarray):
    return lambda idx: auroc_from_ranks(y_true[idx], y_score[idx])


def _point_fields(cm: Optional[ConfusionMetrics], intervals: Mapping[str, ConfidenceInterval], name: str) -> dict:
    """Counts and rates of one operating point (all undefined without confusion metrics)."""
    counts = {k: (getattr(cm, k) if cm is not None else None) for k in ("tp", "fp", "tn", "fn")}
    rates = {rate: Estimate.of(getattr(cm, rate) if cm is not None else NAN, intervals.get(f"{name}.{rate}"))
             for rate in RATE_NAMES}
    return {**counts, **rates}


def _undefined_result(scores: SourceScores, n: int, n_pos: int, n_bootstrap: int, seed: int,
                      level: float) -> SourceResult:
    return SourceResult(
        **_source_fields(scores), n=n, n_positive=n_pos, auroc=Estimate.of(NAN),
        bootstrap=BootstrapInfo(n_bootstrap, 0, n_bootstrap, seed, level),
        youden=YoudenPoint(threshold=None, youden_index=None, **_point_fields(None, {}, "youden")),
        model=(OperatingPointResult(threshold=None, **_point_fields(None, {}, "model"))
               if scores.y_label is not None else None),
        roc_curve=None,
    )


def _source_fields(scores: SourceScores) -> dict:
    return {"probability_column": scores.probability_column, "label_column": scores.label_column,
            "n_unknown_label": scores.n_unknown_label, "n_missing_score": scores.n_missing_score}


def evaluate_source(
    scores: SourceScores,
    n_bootstrap: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    context: str = "scores",
) -> SourceResult:
    """AUROC, Youden operating point and (optionally) the model's own labels, all with bootstrap CIs.

    Args:
        scores: labels, scores and (optionally) the model's own 0/1 decisions (operating point
            ``"model"``) of one class and source, unknown labels already removed.
        n_bootstrap: resamples for the CIs (0: no CIs).
        seed: seed of the bootstrap Generator.
        level: confidence level.
        context: prefix for warnings, e.g. ``"class 'lesion' (summarizer)"``.

    Returns undefined values as None (a single label value: one warning, every metric undefined).

    Raises:
        ValueError: arrays of different lengths, labels other than 0/1, non-finite scores.
    """
    y_true = np.asarray(scores.y_true, dtype=float).ravel()
    y_score = np.asarray(scores.y_score, dtype=float).ravel()
    n, n_pos = int(y_true.size), int((y_true == 1).sum())
    if n_pos in (0, n):
        warnings.warn(
            f"{context}: only one label value among {n} case(s) ({n_pos} positive); metrics are NaN",
            UserWarning,
            stacklevel=2,
        )
        return _undefined_result(scores, n, n_pos, n_bootstrap, seed, level)
    with prefixed_warnings(context):
        auroc = compute_auroc(y_true, y_score)
        op = youden_operating_point(y_true, y_score)
        decisions = {"youden": apply_threshold(y_score, op.threshold)}
        if scores.y_label is not None:
            decisions["model"] = np.asarray(scores.y_label, dtype=float).ravel()
        confusion = {name: compute_confusion_metrics(y_true, pred) for name, pred in decisions.items()}
    statistics = {"auroc": _auroc_statistic(y_true, y_score)}
    for name, pred in decisions.items():
        for rate in RATE_NAMES:
            statistics[f"{name}.{rate}"] = _rate_statistic(y_true, pred, rate)
    boot = bootstrap_metrics(y_true, statistics, n_bootstrap=n_bootstrap, seed=seed, level=level)
    fpr, tpr, thresholds = roc_curve(y_true, y_score)
    youden = YoudenPoint(threshold=optional_float(op.threshold), youden_index=optional_float(op.youden_index),
                         **_point_fields(confusion["youden"], boot.intervals, "youden"))
    model = None
    if "model" in confusion:
        model = OperatingPointResult(threshold=None, **_point_fields(confusion["model"], boot.intervals, "model"))
    return SourceResult(
        **_source_fields(scores), n=n, n_positive=n_pos,
        auroc=Estimate.of(auroc, boot.intervals.get("auroc")),
        bootstrap=BootstrapInfo(boot.n_requested, boot.n_used, boot.n_skipped_single_class, seed, level),
        youden=youden,
        model=model,
        roc_curve=RocCurve(tuple(float(v) for v in fpr), tuple(float(v) for v in tpr),
                           tuple(optional_float(v) for v in thresholds)),
    )
