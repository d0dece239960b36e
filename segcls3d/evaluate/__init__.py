"""Evaluate ``segcls3d predict`` output: image-level metrics with bootstrap CIs, strict recall, Dice.

Public API:
    evaluate_predictions(predictions, labels, pred_masks=None, gt_masks=None, class_label_ids=None,
                         n_bootstrap=1000, seed=0) -> dict (JSON-serializable, undefined = None)
    format_table(result) -> str
    plot_roc(predictions, labels, path) / plot_roc_result(result, path)
    evaluate_rsna(predictions, labels, score="summarizer") -> dict
"""
from __future__ import annotations

from segcls3d.evaluate.predictions import evaluate_predictions
from segcls3d.evaluate.report import format_table, to_jsonable
from segcls3d.evaluate.roc_plot import plot_roc, plot_roc_result
from segcls3d.evaluate.rsna import evaluate_rsna

__all__ = ["evaluate_predictions", "format_table", "to_jsonable", "plot_roc", "plot_roc_result", "evaluate_rsna"]
