"""``evaluate_predictions``: classification.csv + labels (+ masks) -> one JSON-ready result dict.

Example:
    >>> result = evaluate_predictions("out/classification.csv", "raw/classification_labels.csv",
    ...                               n_bootstrap=200)  # doctest: +SKIP
    >>> result["classes"]["lesion"]["sources"]["summarizer"]["auroc"]["value"]  # doctest: +SKIP
    0.93
"""
from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Mapping, Optional, Sequence, Union

import numpy as np
import pandas as pd

from segcls3d.errors import InputDataError
from segcls3d.evaluate.classification import evaluate_scores, prefixed_warnings
from segcls3d.evaluate.inputs import (
    CASE_ID,
    CLASSES_FILENAME,
    SourceScores,
    load_class_label_ids,
    load_predictions,
    resolve_labels,
    score_columns,
    source_scores,
)
from segcls3d.evaluate.masks import evaluate_masks, summarize_overlaps
from segcls3d.evaluate.report import to_jsonable
from segcls3d.labels import CaseLabels
from segcls3d.metrics.operating_point import apply_threshold
from segcls3d.metrics.overlap import OverlapResult
from segcls3d.metrics.strict_recall import compute_strict_recall

PathLike = Union[str, Path]
logger = logging.getLogger(__name__)


def evaluate_predictions(
    predictions: Union[pd.DataFrame, PathLike],
    labels: Union[CaseLabels, PathLike],
    pred_masks: Optional[PathLike] = None,
    gt_masks: Optional[PathLike] = None,
    class_label_ids: Optional[Mapping[str, Sequence[int]]] = None,
    n_bootstrap: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> dict:
    """Evaluate image-level predictions (and masks) against labels.

    Args:
        predictions: classification.csv (path or DataFrame with ``case_id``).
        labels: a CaseLabels or the path of classification_labels.csv.
        pred_masks: folder of predicted label masks ``<case>.nii.gz`` (with ``gt_masks``).
        gt_masks: folder of reference label masks.
        class_label_ids: class -> label ids; default ``classes.json`` next to the predictions CSV.
        n_bootstrap: bootstrap resamples for the CIs (0: none).
        seed: bootstrap seed.
        level: confidence level.

    Returns a JSON-serializable dict; undefined numbers are None.

    Raises:
        InputDataError: unreadable predictions, no common class, bad masks, missing classes file.
        LabelFileError: invalid labels file.
    """
    if (pred_masks is None) != (gt_masks is None):
        raise InputDataError("mask metrics need both pred_masks and gt_masks")
    df, pred_path = load_predictions(predictions)
    origin = str(pred_path) if pred_path else "predictions table"
    if pred_masks is not None and class_label_ids is None:
        if pred_path is None:
            raise InputDataError("mask metrics need class_label_ids when predictions are given as a DataFrame")
        class_label_ids = load_class_label_ids(pred_path.parent / CLASSES_FILENAME)
    case_labels, classes = resolve_labels(labels, df, origin)
    labeled = df[CASE_ID].isin(set(case_labels.case_ids)).to_numpy()
    unlabeled = df.loc[~labeled, CASE_ID].tolist()
    if unlabeled:
        warnings.warn(f"{origin}: {len(unlabeled)} case(s) without a labels row skipped: {unlabeled[:10]}", UserWarning, stacklevel=2)
    df = df.loc[labeled].reset_index(drop=True)
    n_not_predicted = len(set(case_labels.case_ids) - set(df[CASE_ID]))
    if n_not_predicted:
        logger.info("%s: %d labeled case(s) have no prediction", case_labels.source, n_not_predicted)
    result: dict = {
        "predictions": origin,
        "labels": case_labels.source,
        "n_prediction_cases": int(labeled.size),
        "n_cases_without_labels": len(unlabeled),
        "cases_without_labels": unlabeled,
        "n_labeled_cases_without_prediction": n_not_predicted,
        "n_bootstrap": n_bootstrap,
        "seed": seed,
        "level": level,
        "classes": {},
    }
    scores: dict[tuple[str, str], SourceScores] = {}
    for name in classes:
        entry: dict = {"sources": {}}
        if not score_columns(df, name):
            warnings.warn(f"{origin}: class '{name}' has no probability values; not evaluated", UserWarning, stacklevel=2)
        for source in score_columns(df, name):
            s = scores[(name, source)] = source_scores(df, case_labels, name, source, origin)
            context = f"class '{name}' ({source})"
            entry["sources"][source] = {
                "probability_column": s.probability_column,
                "label_column": s.label_column,
                "n_unknown_label": s.n_unknown_label,
                "n_missing_score": s.n_missing_score,
                **evaluate_scores(s.y_true, s.y_score, s.y_label, n_bootstrap, seed, level, context),
            }
        result["classes"][name] = entry
    if pred_masks is not None:
        result["masks"] = _add_mask_metrics(result, df, case_labels, classes, scores, pred_masks, gt_masks,
                                            class_label_ids)
    return to_jsonable(result)


def _add_mask_metrics(result, df, case_labels, classes, scores, pred_masks, gt_masks, class_label_ids) -> dict:
    """Dice/IoU per class and strict recall per operating point, added to ``result`` in place."""
    with_ids = {c: list(class_label_ids[c]) for c in classes if class_label_ids.get(c)}
    without = [c for c in classes if c not in with_ids]
    if without:
        logger.info("class(es) %s have no label ids (classification-only): no mask metrics", without)
    masks = evaluate_masks(df[CASE_ID].tolist(), pred_masks, gt_masks, with_ids)
    for name, ids in with_ids.items():
        column = case_labels.column(name)
        positives = {c for c, v in column.items() if v == 1}
        entry = result["classes"][name]
        entry["masks"] = {"label_ids": ids, **summarize_overlaps(masks.overlaps[name], positives)}
        empty_gt = sorted(c for c, o in masks.overlaps[name].items() if c in positives and o.gt_voxels == 0)
        if empty_gt:
            warnings.warn(f"class '{name}': positive case(s) {empty_gt[:10]} have an empty ground-truth region; "
                          "left out of strict recall", UserWarning, stacklevel=3)
        for source, src_entry in entry["sources"].items():
            s = scores[(name, source)]
            single_class = src_entry["n_positive"] in (0, src_entry["n"])
            for op_name, point in src_entry["operating_points"].items():
                if single_class:  # already warned: every metric of this class/source is NaN
                    point["strict_recall"] = _undefined_strict_recall()
                    continue
                decisions = apply_threshold(s.y_score, point["threshold"]) if op_name == "youden" else s.y_label
                with prefixed_warnings(f"class '{name}' ({source}, {op_name})"):
                    point["strict_recall"] = _strict_recall(s, decisions, masks.overlaps[name])
    return {
        "pred_dir": str(pred_masks),
        "gt_dir": str(gt_masks),
        "class_label_ids": with_ids,
        "n_missing": len(masks.missing_cases),
        "missing_cases": masks.missing_cases,
        "missing_pred": masks.missing_pred,
        "missing_gt": masks.missing_gt,
    }


def _undefined_strict_recall() -> dict:
    return {"value": float("nan"), "recall_same_cases": float("nan"), "n_positive": 0,
            "n_detected": 0, "n_detected_and_located": 0, "n_positive_left_out": 0}


def _strict_recall(s: SourceScores, decisions: np.ndarray, overlaps: Mapping[str, OverlapResult]) -> dict:
    """Strict recall among positive cases that have both masks and a non-empty reference region."""
    positive = s.y_true == 1
    usable = np.array([c in overlaps and overlaps[c].gt_voxels > 0 for c in s.case_ids], dtype=bool)
    located = np.array([c in overlaps and overlaps[c].intersection >= 1 for c in s.case_ids], dtype=bool)
    keep = usable & positive
    r = compute_strict_recall(s.y_true[keep], np.asarray(decisions)[keep], located[keep])
    return {
        "value": r.strict_recall,
        "recall_same_cases": r.recall,
        "n_positive": r.n_positive,
        "n_detected": r.n_detected,
        "n_detected_and_located": r.n_detected_and_located,
        "n_positive_left_out": int((positive & ~usable).sum()),
    }
