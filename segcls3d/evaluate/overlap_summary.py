"""mIoU and mean Dice over classes, for predicted masks and for thresholded saliency maps (CheXseg's metrics).

Per class, IoU and Dice are the means over cases of :func:`segcls3d.evaluate.masks.summarize_overlaps`
(cases where both masks are empty left out; also over the image-level positive cases only);
mIoU and mean Dice average them over the classes that have a value.

Saliency maps (``segcls3d saliency``: ``<dir>/<class>/<case>.nii.gz``) are turned into masks the
way weak masks are (:func:`segcls3d.model.saliency.threshold.binarize`): each map relative to its
maximum, the class's threshold from ``cam_thresholds.json`` of ``segcls3d pseudolabel cam`` (Otsu per
map without one) and its cut-off. No class label is used: a map of a negative case counts as drawn.

Example:
    >>> from segcls3d.evaluate.result import ClassMasks
    >>> m = lambda iou: ClassMasks((1,), 0, 1, 2 * iou / (1 + iou), iou, 1, None, None)
    >>> OverlapSummary("masks", {"a": m(0.5), "b": m(0.25)}).miou
    0.375
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Optional, Sequence, Union

import numpy as np

from segcls3d.errors import InputDataError
from segcls3d.evaluate.inputs import load_class_label_ids
from segcls3d.evaluate.masks import summarize_overlaps
from segcls3d.evaluate.result import ClassMasks, EvaluationResult
from segcls3d.evaluate.saliency_pairs import check_folders, prediction_case_ids, saliency_pairs
from segcls3d.labels import CaseLabels
from segcls3d.metrics.overlap import OverlapResult, compute_overlap
from segcls3d.model.saliency.threshold import binarize

PathLike = Union[str, Path]


def _mean(values: Iterable[Optional[float]]) -> Optional[float]:
    known = [v for v in values if v is not None]
    return float(np.mean(known)) if known else None


@dataclass(frozen=True)
class OverlapSummary:
    """Per-class Dice/IoU of one source (``masks`` or ``saliency``) and their means over the classes."""

    source: str
    classes: dict[str, ClassMasks]

    @property
    def miou(self) -> Optional[float]:
        return _mean(c.iou_mean for c in self.classes.values())

    @property
    def mean_dice(self) -> Optional[float]:
        return _mean(c.dice_mean for c in self.classes.values())

    @property
    def miou_gt_positive(self) -> Optional[float]:
        return _mean(c.iou_mean_gt_positive for c in self.classes.values())

    def to_dict(self) -> dict:
        return {"miou": self.miou, "mean_dice": self.mean_dice, "miou_gt_positive": self.miou_gt_positive,
                "mean_dice_gt_positive": _mean(c.dice_mean_gt_positive for c in self.classes.values()),
                "classes": {n: {k: v for k, v in c.to_dict().items() if k != "per_case"}
                            for n, c in self.classes.items()}}


def read_thresholds(path: Optional[PathLike]) -> tuple[dict[str, Optional[float]], Optional[float]]:
    """Per-class relative thresholds and the cut-off of ``cam_thresholds.json`` ({} and None without a file).

    Raises:
        InputDataError: the file cannot be read or is not such a file.
    """
    if path is None:
        return {}, None
    try:
        data = json.loads(Path(path).read_text())
        return {n: c.get("threshold") for n, c in data["classes"].items()}, data.get("cutoff")
    except (OSError, ValueError, KeyError, AttributeError, TypeError) as exc:
        raise InputDataError(f"{path}: not a cam_thresholds.json of `segcls3d pseudolabel cam` ({exc})") from None


def evaluate_saliency_masks(case_ids: Sequence[str], saliency_dir: PathLike, gt_dir: PathLike,
                            class_label_ids: Mapping[str, Sequence[int]], positive_cases: Mapping[str, set[str]],
                            thresholds: Mapping[str, Optional[float]], cutoff: Optional[float] = None
                            ) -> OverlapSummary:
    """Dice/IoU of the thresholded saliency maps against the reference masks, per class with label ids.

    Cases without a map or a reference mask are left out.

    Raises:
        InputDataError: a folder is missing, a file unreadable, or a map and its mask differ in shape.
    """
    check_folders(saliency_dir, gt_dir)
    classes = {}
    for name, ids in class_label_ids.items():
        if not ids:
            continue
        overlaps: dict[str, OverlapResult] = {
            case: compute_overlap(binarize(saliency, thresholds.get(name), cutoff), np.isin(truth, ids))
            for case, saliency, truth in saliency_pairs(list(case_ids), saliency_dir, gt_dir, name)}
        classes[name] = summarize_overlaps(overlaps, positive_cases.get(name, set()), ids)
    return OverlapSummary("saliency", classes)


def evaluate_saliency_folder(predictions: PathLike, labels: PathLike, saliency_dir: PathLike, gt_dir: PathLike,
                             class_label_ids: Mapping[str, Sequence[int]],
                             thresholds_file: Optional[PathLike] = None) -> OverlapSummary:
    """:func:`evaluate_saliency_masks` for the cases of ``predictions`` (classification.csv), positives from ``labels``.

    Raises:
        InputDataError, LabelFileError: unreadable inputs (see :func:`evaluate_saliency_masks`).
    """
    case_ids = prediction_case_ids(predictions)
    table = CaseLabels.load(labels, list(class_label_ids))
    positives = {name: {c for c, v in table.column(name).items() if v == 1} for name in class_label_ids}
    thresholds, cutoff = read_thresholds(thresholds_file)
    return evaluate_saliency_masks(case_ids, saliency_dir, gt_dir, class_label_ids, positives, thresholds, cutoff)


def overlap_summaries(result: EvaluationResult, predictions: PathLike, labels: PathLike,
                      saliency_dir: Optional[PathLike] = None, gt_dir: Optional[PathLike] = None,
                      classes_file: Optional[PathLike] = None, thresholds_file: Optional[PathLike] = None
                      ) -> dict[str, OverlapSummary]:
    """``masks``: the summary of ``result``'s mask metrics (if any); ``saliency``: of the maps in ``saliency_dir``.

    Class label ids of the maps come from ``classes_file`` (default: classes.json next to ``predictions``).
    """
    summaries = {}
    masks = {name: c.masks for name, c in result.classes.items() if c.masks is not None}
    if masks:
        summaries["masks"] = OverlapSummary("masks", masks)
    if saliency_dir is not None:
        ids = load_class_label_ids(classes_file or Path(predictions).parent / "classes.json")
        summaries["saliency"] = evaluate_saliency_folder(predictions, labels, saliency_dir, gt_dir, ids,
                                                         thresholds_file)
    return summaries
