"""Image-level evaluation of one class and one score source: AUROC, Youden and model operating points.

Every metric gets a percentile bootstrap CI computed on the same resampled cases. The Youden
threshold is chosen once on all cases and kept fixed inside the bootstrap (the CI describes the
metrics at that threshold, not the variability of choosing it).
"""
from __future__ import annotations

import warnings
from contextlib import contextmanager
from typing import Iterator, Optional

import numpy as np
from sklearn.metrics import roc_curve

from segcls3d.metrics.auroc import auroc_from_ranks, compute_auroc
from segcls3d.metrics.bootstrap import ConfidenceInterval, bootstrap_metrics
from segcls3d.metrics.confusion import RATE_NAMES, compute_confusion_metrics, confusion_counts, rates_from_counts
from segcls3d.metrics.operating_point import apply_threshold, youden_operating_point

NAN = float("nan")


def metric_entry(value: float, ci: Optional[ConfidenceInterval] = None) -> dict:
    """``{"value", "ci_lower", "ci_upper"}`` (NaN bounds without an interval)."""
    return {
        "value": float(value),
        "ci_lower": ci.lower if ci is not None else NAN,
        "ci_upper": ci.upper if ci is not None else NAN,
    }


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


def _undefined_result(n: int, n_pos: int, has_model: bool, n_bootstrap: int, seed: int, level: float) -> dict:
    point = {"threshold": NAN, "tp": None, "fp": None, "tn": None, "fn": None}
    point.update({rate: metric_entry(NAN) for rate in RATE_NAMES})
    points = {"youden": dict(point, youden_index=NAN)}
    if has_model:
        points["model"] = dict(point)
    return {
        "n": n,
        "n_positive": n_pos,
        "n_negative": n - n_pos,
        "auroc": metric_entry(NAN),
        "bootstrap": {"n_requested": n_bootstrap, "n_used": 0, "n_skipped_single_class": n_bootstrap, "seed": seed, "level": level},
        "operating_points": points,
        "roc_curve": None,
    }


def evaluate_scores(
    y_true: np.ndarray,
    y_score: np.ndarray,
    y_label: Optional[np.ndarray] = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    context: str = "scores",
) -> dict:
    """AUROC, Youden operating point and (optionally) the model's own labels, all with bootstrap CIs.

    Args:
        y_true: 0/1 labels (unknown labels already removed).
        y_score: probabilities/scores, same length.
        y_label: the model's own 0/1 decisions (operating point ``"model"``), or None.
        n_bootstrap: resamples for the CIs (0: no CIs).
        seed: seed of the bootstrap Generator.
        level: confidence level.
        context: prefix for warnings, e.g. ``"class 'lesion' (summarizer)"``.

    Returns a dict with NaN for undefined values (a single label value: one warning, all NaN).

    Raises:
        ValueError: arrays of different lengths, labels other than 0/1, non-finite scores.
    """
    y_true = np.asarray(y_true, dtype=float).ravel()
    y_score = np.asarray(y_score, dtype=float).ravel()
    n, n_pos = int(y_true.size), int((y_true == 1).sum())
    if n_pos in (0, n):
        warnings.warn(
            f"{context}: only one label value among {n} case(s) ({n_pos} positive); metrics are NaN",
            UserWarning,
            stacklevel=2,
        )
        return _undefined_result(n, n_pos, y_label is not None, n_bootstrap, seed, level)
    with prefixed_warnings(context):
        auroc = compute_auroc(y_true, y_score)
        op = youden_operating_point(y_true, y_score)
        decisions = {"youden": apply_threshold(y_score, op.threshold)}
        if y_label is not None:
            decisions["model"] = np.asarray(y_label, dtype=float).ravel()
        confusion = {name: compute_confusion_metrics(y_true, pred) for name, pred in decisions.items()}
    statistics = {"auroc": _auroc_statistic(y_true, y_score)}
    for name, pred in decisions.items():
        for rate in RATE_NAMES:
            statistics[f"{name}.{rate}"] = _rate_statistic(y_true, pred, rate)
    boot = bootstrap_metrics(y_true, statistics, n_bootstrap=n_bootstrap, seed=seed, level=level)
    points = {}
    for name, cm in confusion.items():
        point = {"threshold": op.threshold if name == "youden" else None, "tp": cm.tp, "fp": cm.fp, "tn": cm.tn, "fn": cm.fn}
        if name == "youden":
            point["youden_index"] = op.youden_index
        for rate in RATE_NAMES:
            point[rate] = metric_entry(getattr(cm, rate), boot.intervals.get(f"{name}.{rate}"))
        points[name] = point
    fpr, tpr, thresholds = roc_curve(y_true, y_score)
    return {
        "n": n,
        "n_positive": n_pos,
        "n_negative": n - n_pos,
        "auroc": metric_entry(auroc, boot.intervals.get("auroc")),
        "bootstrap": {
            "n_requested": boot.n_requested,
            "n_used": boot.n_used,
            "n_skipped_single_class": boot.n_skipped_single_class,
            "seed": seed,
            "level": level,
        },
        "operating_points": points,
        "roc_curve": {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thresholds.tolist()},
    }
