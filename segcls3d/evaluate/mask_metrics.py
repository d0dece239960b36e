"""Mask metrics added to the classification result: Dice/IoU per class, strict recall per operating point,
and the location-aware error analysis (findings found or missed, false-positive components) per class."""
from __future__ import annotations

import logging
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Mapping, Optional, Sequence, Union

import numpy as np

from segcls3d.evaluate.classification import prefixed_warnings
from segcls3d.evaluate.inputs import SourceScores
from segcls3d.evaluate.location_result import ClassLocation
from segcls3d.evaluate.masks import evaluate_masks, summarize_overlaps
from segcls3d.evaluate.result import ClassResult, MaskInputs
from segcls3d.evaluate.source_result import OperatingPointResult, SourceResult, StrictRecall, optional_float
from segcls3d.labels import CaseLabels
from segcls3d.metrics.operating_point import apply_threshold
from segcls3d.metrics.overlap import OverlapResult
from segcls3d.metrics.strict_recall import compute_strict_recall

PathLike = Union[str, Path]
logger = logging.getLogger(__name__)

_UNDEFINED = StrictRecall(None, None, 0, 0, 0, 0)


def add_mask_metrics(
    classes: Mapping[str, ClassResult],
    case_ids: Sequence[str],
    case_labels: CaseLabels,
    scores: Mapping[tuple[str, str], SourceScores],
    pred_masks: PathLike,
    gt_masks: PathLike,
    class_label_ids: Mapping[str, Sequence[int]],
) -> tuple[dict[str, ClassResult], MaskInputs, dict[str, ClassLocation]]:
    """``classes`` with Dice/IoU and strict recall added, what was read from the mask folders, and per class
    the location-aware errors (true components found or missed, false-positive components).

    Classes without label ids (classification-only) keep their result unchanged.

    Raises:
        InputDataError: see :func:`segcls3d.evaluate.masks.evaluate_masks`.
    """
    with_ids = {c: tuple(int(i) for i in class_label_ids[c]) for c in classes if class_label_ids.get(c)}
    without = [c for c in classes if c not in with_ids]
    if without:
        logger.info("class(es) %s have no label ids (classification-only): no mask metrics", without)
    masks = evaluate_masks(case_ids, pred_masks, gt_masks, with_ids)
    out = dict(classes)
    for name, ids in with_ids.items():
        positives = {c for c, v in case_labels.column(name).items() if v == 1}
        overlaps = masks.overlaps[name]
        empty_gt = sorted(c for c, o in overlaps.items() if c in positives and o.gt_voxels == 0)
        if empty_gt:
            warnings.warn(f"class '{name}': positive case(s) {empty_gt[:10]} have an empty ground-truth region; "
                          "left out of strict recall", UserWarning, stacklevel=3)
        sources = {source: _with_strict_recall(src, scores[(name, source)], overlaps, name, source)
                   for source, src in classes[name].sources.items()}
        out[name] = ClassResult(sources, summarize_overlaps(overlaps, positives, ids))
    inputs = MaskInputs(str(pred_masks), str(gt_masks), with_ids, tuple(masks.missing_pred), tuple(masks.missing_gt))
    locations = {name: ClassLocation(ids, masks.locations[name]) for name, ids in with_ids.items()}
    return out, inputs, locations


def _with_strict_recall(src: SourceResult, s: SourceScores, overlaps: Mapping[str, OverlapResult],
                        class_name: str, source: str) -> SourceResult:
    """``src`` with strict recall at each of its operating points."""

    def at(point: Optional[OperatingPointResult], op_name: str) -> Optional[OperatingPointResult]:
        if point is None:
            return None
        if src.single_class:  # already warned: every metric of this class/source is undefined
            return replace(point, strict_recall=_UNDEFINED)
        decisions = apply_threshold(s.y_score, point.threshold) if op_name == "youden" else s.y_label
        with prefixed_warnings(f"class '{class_name}' ({source}, {op_name})"):
            return replace(point, strict_recall=strict_recall(s, decisions, overlaps))

    return replace(src, youden=at(src.youden, "youden"), model=at(src.model, "model"))


def strict_recall(s: SourceScores, decisions: np.ndarray, overlaps: Mapping[str, OverlapResult]) -> StrictRecall:
    """Strict recall among positive cases that have both masks and a non-empty reference region."""
    positive = s.y_true == 1
    usable = np.array([c in overlaps and overlaps[c].gt_voxels > 0 for c in s.case_ids], dtype=bool)
    located = np.array([c in overlaps and overlaps[c].intersection >= 1 for c in s.case_ids], dtype=bool)
    keep = usable & positive
    r = compute_strict_recall(s.y_true[keep], np.asarray(decisions)[keep], located[keep])
    return StrictRecall(
        value=optional_float(r.strict_recall),
        recall_same_cases=optional_float(r.recall),
        n_positive=r.n_positive,
        n_detected=r.n_detected,
        n_detected_and_located=r.n_detected_and_located,
        n_positive_left_out=int((positive & ~usable).sum()),
    )
