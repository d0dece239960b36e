"""``evaluate_predictions``: classification.csv + labels (+ masks) -> one typed :class:`EvaluationResult`.

Example:
    >>> result = evaluate_predictions("out/classification.csv", "raw/classification_labels.csv",
    ...                               n_bootstrap=200)  # doctest: +SKIP
    >>> result.classes["lesion"].sources["summarizer"].auroc.value  # doctest: +SKIP
    0.93
"""
from __future__ import annotations

import logging
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Collection, Mapping, Optional, Sequence, Union

import pandas as pd

from segcls3d.errors import InputDataError
from segcls3d.evaluate.calibration import DEFAULT_CALIBRATION_BINS, evaluate_calibration
from segcls3d.evaluate.classification import evaluate_source
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
from segcls3d.evaluate.mask_metrics import add_mask_metrics
from segcls3d.evaluate.result import ClassResult, EvaluationResult
from segcls3d.evaluate.score_kinds import load_ranking_classes
from segcls3d.labels import CaseLabels

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
    ranking_classes: Optional[Collection[str]] = None,
    calibration_bins: int = DEFAULT_CALIBRATION_BINS,
) -> EvaluationResult:
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
        ranking_classes: classes whose summarizer column ``<class>_probability`` is a ranking score
            (``soft_volume``), exempt from the [0, 1] check; default: read from the summarizer
            settings in ``classes.json`` next to the predictions CSV (none for a DataFrame). They get no
            calibration (Brier/ECE), only the note "n/a (ranking score)".
        calibration_bins: equal-width bins of the expected calibration error and reliability diagram.

    Returns the typed result (``result.to_dict()`` is the JSON of ``segcls3d evaluate``); undefined
    numbers are None. With masks it also holds ``location``: per class, each true connected component
    found or missed and each false-positive component, with size and centroid.

    Raises:
        InputDataError: unreadable predictions, no common class, no common case, infinite scores or
            probabilities outside [0, 1], masks on another grid than their references, missing classes file.
        LabelFileError: invalid labels file.
        ValueError: ``calibration_bins`` < 1.
    """
    if (pred_masks is None) != (gt_masks is None):
        raise InputDataError("mask metrics need both pred_masks and gt_masks")
    if calibration_bins < 1:
        raise ValueError(f"calibration_bins must be >= 1, got {calibration_bins}")
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
        warnings.warn(f"{origin}: {len(unlabeled)} case(s) without a labels row skipped: {unlabeled[:10]}",
                      UserWarning, stacklevel=2)
    if not labeled.any():
        raise InputDataError(
            f"{origin} and {case_labels.source} have no case in common ({len(df)} predicted case(s), e.g. "
            f"{df[CASE_ID].tolist()[:3]}; {len(case_labels.case_ids)} labeled, e.g. {list(case_labels.case_ids)[:3]}); "
            "check that both files belong to the same dataset and use the same case ids")
    df = df.loc[labeled].reset_index(drop=True)
    n_not_predicted = len(set(case_labels.case_ids) - set(df[CASE_ID]))
    if n_not_predicted:
        logger.info("%s: %d labeled case(s) have no prediction", case_labels.source, n_not_predicted)
    if ranking_classes is None:
        ranking_classes = load_ranking_classes(pred_path.parent / CLASSES_FILENAME, classes) if pred_path else set()
    scores: dict[tuple[str, str], SourceScores] = {}
    results: dict[str, ClassResult] = {}
    for name in classes:
        sources = {}
        if not score_columns(df, name):
            warnings.warn(f"{origin}: class '{name}' has no probability values; not evaluated", UserWarning,
                          stacklevel=2)
        for source in score_columns(df, name):
            ranking = source == "summarizer" and name in ranking_classes
            s = scores[(name, source)] = source_scores(df, case_labels, name, source, origin, ranking)
            context = f"class '{name}' ({source})"
            calibration = evaluate_calibration(s, ranking, calibration_bins, n_bootstrap, seed, level, context)
            sources[source] = replace(evaluate_source(s, n_bootstrap, seed, level, context=context),
                                      calibration=calibration)
        results[name] = ClassResult(sources)
    masks = location = None
    if pred_masks is not None:
        results, masks, location = add_mask_metrics(results, df[CASE_ID].tolist(), case_labels, scores, pred_masks,
                                                    gt_masks, class_label_ids)
    return EvaluationResult(
        predictions=origin,
        labels=str(case_labels.source),
        n_prediction_cases=int(labeled.size),
        cases_without_labels=tuple(unlabeled),
        n_labeled_cases_without_prediction=n_not_predicted,
        n_bootstrap=n_bootstrap,
        seed=seed,
        level=level,
        classes=results,
        masks=masks,
        location=location,
    )
