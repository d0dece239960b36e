"""Metrics over arrays: one metric per module, a ``compute_x`` function plus small result dataclasses.

Undefined metrics (a single class, no predicted positives, both masks empty) are NaN, with a
warning where the caller would otherwise be surprised; never a crash or a silent 0.5.
"""
from __future__ import annotations

from segcls3d.metrics.auroc import auroc_from_ranks, compute_auroc
from segcls3d.metrics.bootstrap import (
    BootstrapResult,
    ConfidenceInterval,
    bootstrap_metrics,
    compute_percentile_interval,
)
from segcls3d.metrics.brier import brier_of_resamples, compute_brier
from segcls3d.metrics.component_detection import ComponentDetection, compute_component_detection, label_components
from segcls3d.metrics.confusion import ConfusionMetrics, compute_confusion_metrics, confusion_counts, rates_from_counts
from segcls3d.metrics.ece import CalibrationBins, calibration_bins, compute_ece, ece_of_resamples
from segcls3d.metrics.operating_point import OperatingPoint, apply_threshold, youden_operating_point
from segcls3d.metrics.overlap import OverlapResult, compute_overlap
from segcls3d.metrics.rsna_logloss import RSNA_TARGETS, RSNA_WEIGHTS, RsnaLoglossResult, compute_rsna_logloss
from segcls3d.metrics.strict_recall import StrictRecallResult, compute_strict_recall, masks_overlap

__all__ = [
    "auroc_from_ranks",
    "compute_auroc",
    "BootstrapResult",
    "ConfidenceInterval",
    "bootstrap_metrics",
    "compute_percentile_interval",
    "brier_of_resamples",
    "compute_brier",
    "ComponentDetection",
    "compute_component_detection",
    "label_components",
    "CalibrationBins",
    "calibration_bins",
    "compute_ece",
    "ece_of_resamples",
    "ConfusionMetrics",
    "compute_confusion_metrics",
    "confusion_counts",
    "rates_from_counts",
    "OperatingPoint",
    "apply_threshold",
    "youden_operating_point",
    "OverlapResult",
    "compute_overlap",
    "RSNA_TARGETS",
    "RSNA_WEIGHTS",
    "RsnaLoglossResult",
    "compute_rsna_logloss",
    "StrictRecallResult",
    "compute_strict_recall",
    "masks_overlap",
]
