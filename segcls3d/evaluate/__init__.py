"""Evaluate ``segcls3d predict`` output: image-level metrics with bootstrap CIs, strict recall, Dice.

Public API:
    evaluate_predictions(predictions, labels, pred_masks=None, gt_masks=None, class_label_ids=None,
                         n_bootstrap=1000, seed=0, calibration_bins=10) -> EvaluationResult (``to_dict()``: the JSON)
    EvaluationResult -> classes[name]: ClassResult -> sources[source]: SourceResult
        (auroc: Estimate, youden: YoudenPoint, model: OperatingPointResult | None,
         calibration: Calibration (Brier, ECE, reliability bins), ...)
    EvaluationResult.location[name]: ClassLocation (with masks: findings found/missed, false-positive components)
    format_table(result) -> str; format_error_report(result.location) -> markdown
    plot_roc(predictions, labels, path) / plot_roc_result(result, path) / plot_roc_curves(classes, path)
    plot_reliability_result(result, path) / plot_reliability_diagrams(classes, path)
    evaluate_rsna(predictions, labels, score="summarizer") -> RsnaEvaluation
"""
from __future__ import annotations

from segcls3d.evaluate.calibration_result import Calibration, ReliabilityBin
from segcls3d.evaluate.error_report import format_error_report
from segcls3d.evaluate.location_result import CaseLocation, ClassLocation, LocatedComponent, RegionCounts
from segcls3d.evaluate.predictions import evaluate_predictions
from segcls3d.evaluate.reliability_plot import plot_reliability_diagrams, plot_reliability_result
from segcls3d.evaluate.report import format_table
from segcls3d.evaluate.result import ClassMasks, ClassResult, EvaluationResult, MaskInputs, RsnaEvaluation
from segcls3d.evaluate.roc_plot import plot_roc, plot_roc_curves, plot_roc_result
from segcls3d.evaluate.rsna import evaluate_rsna
from segcls3d.evaluate.source_result import (
    BootstrapInfo,
    Estimate,
    OperatingPointResult,
    RocCurve,
    SourceResult,
    StrictRecall,
    YoudenPoint,
)

__all__ = [
    "evaluate_predictions",
    "format_table",
    "format_error_report",
    "plot_reliability_diagrams",
    "plot_reliability_result",
    "plot_roc",
    "plot_roc_curves",
    "plot_roc_result",
    "evaluate_rsna",
    "EvaluationResult",
    "ClassResult",
    "ClassMasks",
    "MaskInputs",
    "RsnaEvaluation",
    "SourceResult",
    "Estimate",
    "OperatingPointResult",
    "YoudenPoint",
    "StrictRecall",
    "BootstrapInfo",
    "RocCurve",
    "Calibration",
    "ReliabilityBin",
    "ClassLocation",
    "CaseLocation",
    "LocatedComponent",
    "RegionCounts",
]
