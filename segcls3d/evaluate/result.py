"""The typed result of :func:`segcls3d.evaluate.evaluate_predictions`.

``EvaluationResult -> classes[name]: ClassResult -> sources[source]: SourceResult`` (see
:mod:`segcls3d.evaluate.source_result`), plus mask metrics, the location-aware error analysis
(``location[name]: ClassLocation``, see :mod:`segcls3d.evaluate.location_result`) and the RSNA score
when computed.
``to_dict()`` is the JSON that ``segcls3d evaluate --json`` writes (undefined numbers None);
``from_dict()`` reads such a file back.

Example:
    >>> result = evaluate_predictions("out/classification.csv", "labels.csv")  # doctest: +SKIP
    >>> result.classes["lesion"].sources["summarizer"].auroc.value  # doctest: +SKIP
    0.93
    >>> EvaluationResult.from_dict(result.to_dict()).to_dict() == result.to_dict()  # doctest: +SKIP
    True
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Optional

from segcls3d.evaluate.location_result import ClassLocation
from segcls3d.evaluate.source_result import SourceResult, optional_float
from segcls3d.metrics.overlap import OverlapResult

__all__ = ["ClassMasks", "ClassResult", "MaskInputs", "RsnaEvaluation", "EvaluationResult"]

_OVERLAP_FLOATS = ("dice", "iou")


def _overlap_to_dict(o: OverlapResult) -> dict[str, Any]:
    d = o.to_dict()
    return {k: optional_float(v) if k in _OVERLAP_FLOATS else v for k, v in d.items()}


def _overlap_from_dict(d: Mapping[str, Any]) -> OverlapResult:
    nan = float("nan")
    return OverlapResult(*(nan if d[k] is None else float(d[k]) for k in _OVERLAP_FLOATS),
                         int(d["pred_voxels"]), int(d["gt_voxels"]), int(d["intersection"]))


@dataclass(frozen=True)
class ClassMasks:
    """Dice/IoU of one class: means over cases with any foreground and over image-level positives."""

    label_ids: tuple[int, ...]
    n_both_empty: int
    n_gt_nonempty: int
    dice_mean: Optional[float]
    iou_mean: Optional[float]
    n_gt_positive: int
    dice_mean_gt_positive: Optional[float]
    iou_mean_gt_positive: Optional[float]
    per_case: dict[str, OverlapResult] = field(default_factory=dict)

    @property
    def n_cases(self) -> int:
        return len(self.per_case)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label_ids": list(self.label_ids),
            "n_cases": self.n_cases,
            "n_both_empty": self.n_both_empty,
            "n_gt_nonempty": self.n_gt_nonempty,
            "dice_mean": self.dice_mean,
            "iou_mean": self.iou_mean,
            "n_gt_positive": self.n_gt_positive,
            "dice_mean_gt_positive": self.dice_mean_gt_positive,
            "iou_mean_gt_positive": self.iou_mean_gt_positive,
            "per_case": {case: _overlap_to_dict(o) for case, o in self.per_case.items()},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ClassMasks":
        return cls(tuple(int(i) for i in d["label_ids"]), int(d["n_both_empty"]), int(d["n_gt_nonempty"]),
                   optional_float(d["dice_mean"]), optional_float(d["iou_mean"]), int(d["n_gt_positive"]),
                   optional_float(d["dice_mean_gt_positive"]), optional_float(d["iou_mean_gt_positive"]),
                   {str(c): _overlap_from_dict(o) for c, o in d["per_case"].items()})


@dataclass(frozen=True)
class ClassResult:
    """Metrics of one class: per score source, and mask metrics when masks were given."""

    sources: dict[str, SourceResult]
    masks: Optional[ClassMasks] = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"sources": {name: s.to_dict() for name, s in self.sources.items()}}
        if self.masks is not None:
            out["masks"] = self.masks.to_dict()
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ClassResult":
        masks = d.get("masks")
        return cls({str(k): SourceResult.from_dict(v) for k, v in d["sources"].items()},
                   ClassMasks.from_dict(masks) if masks is not None else None)


@dataclass(frozen=True)
class MaskInputs:
    """Which mask folders and label ids were evaluated, and which cases lacked a mask file."""

    pred_dir: str
    gt_dir: str
    class_label_ids: dict[str, tuple[int, ...]]
    missing_pred: tuple[str, ...] = ()
    missing_gt: tuple[str, ...] = ()

    @property
    def missing_cases(self) -> list[str]:
        return sorted(set(self.missing_pred) | set(self.missing_gt))

    def to_dict(self) -> dict[str, Any]:
        return {
            "pred_dir": self.pred_dir,
            "gt_dir": self.gt_dir,
            "class_label_ids": {name: list(ids) for name, ids in self.class_label_ids.items()},
            "n_missing": len(self.missing_cases),
            "missing_cases": self.missing_cases,
            "missing_pred": list(self.missing_pred),
            "missing_gt": list(self.missing_gt),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "MaskInputs":
        return cls(str(d["pred_dir"]), str(d["gt_dir"]),
                   {str(k): tuple(int(i) for i in v) for k, v in d["class_label_ids"].items()},
                   tuple(d["missing_pred"]), tuple(d["missing_gt"]))


@dataclass(frozen=True)
class RsnaEvaluation:
    """RSNA 2022 weighted log loss of one score source (see :mod:`segcls3d.metrics.rsna_logloss`)."""

    score_source: str
    columns: tuple[str, ...]
    score: Optional[float]
    per_target: dict[str, Optional[float]]
    n_cases: int
    n_pairs: int

    def to_dict(self) -> dict[str, Any]:
        return {"score_source": self.score_source, "columns": list(self.columns), "score": self.score,
                "per_target": dict(self.per_target), "n_cases": self.n_cases, "n_pairs": self.n_pairs}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "RsnaEvaluation":
        return cls(str(d["score_source"]), tuple(d["columns"]), optional_float(d["score"]),
                   {str(k): optional_float(v) for k, v in d["per_target"].items()}, int(d["n_cases"]),
                   int(d["n_pairs"]))


@dataclass(frozen=True)
class EvaluationResult:
    """Everything ``segcls3d evaluate`` computed for one classification.csv."""

    predictions: str
    labels: str
    n_prediction_cases: int
    cases_without_labels: tuple[str, ...]
    n_labeled_cases_without_prediction: int
    n_bootstrap: int
    seed: int
    level: float
    classes: dict[str, ClassResult]
    masks: Optional[MaskInputs] = None
    rsna: Optional[RsnaEvaluation] = None
    location: Optional[dict[str, ClassLocation]] = None  # per class, with masks
    # mIoU / mean Dice per source ("masks", "saliency"): OverlapSummary.to_dict() (evaluate/overlap_summary.py)
    overlap_summary: Optional[dict[str, dict[str, Any]]] = None
    saliency_pxap: Optional[dict[str, dict[str, Any]]] = None  # per class: PxAPResult.to_dict() (metrics/pxap.py)

    @property
    def n_cases_without_labels(self) -> int:
        return len(self.cases_without_labels)

    def with_rsna(self, rsna: RsnaEvaluation) -> "EvaluationResult":
        """A copy with the RSNA score added."""
        return replace(self, rsna=rsna)

    def with_map_metrics(self, overlap_summary: Mapping[str, dict[str, Any]],
                         saliency_pxap: Mapping[str, dict[str, Any]]) -> "EvaluationResult":
        """A copy with the mIoU summaries and the saliency PxAP added (empty mappings are left out)."""
        return replace(self, overlap_summary=dict(overlap_summary) or None, saliency_pxap=dict(saliency_pxap) or None)

    def to_dict(self) -> dict[str, Any]:
        """The JSON written by ``segcls3d evaluate --json`` (strict JSON: undefined numbers are None)."""
        out: dict[str, Any] = {
            "predictions": self.predictions,
            "labels": self.labels,
            "n_prediction_cases": self.n_prediction_cases,
            "n_cases_without_labels": self.n_cases_without_labels,
            "cases_without_labels": list(self.cases_without_labels),
            "n_labeled_cases_without_prediction": self.n_labeled_cases_without_prediction,
            "n_bootstrap": self.n_bootstrap,
            "seed": self.seed,
            "level": self.level,
            "classes": {name: c.to_dict() for name, c in self.classes.items()},
        }
        if self.masks is not None:
            out["masks"] = self.masks.to_dict()
        if self.location is not None:
            out["location"] = {name: loc.to_dict() for name, loc in self.location.items()}
        if self.rsna is not None:
            out["rsna"] = self.rsna.to_dict()
        if self.overlap_summary is not None:
            out["overlap_summary"] = self.overlap_summary
        if self.saliency_pxap is not None:
            out["saliency_pxap"] = self.saliency_pxap
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "EvaluationResult":
        """Inverse of :meth:`to_dict` (e.g. a metrics.json read back)."""
        masks, rsna, location = d.get("masks"), d.get("rsna"), d.get("location")
        return cls(
            predictions=str(d["predictions"]),
            labels=str(d["labels"]),
            n_prediction_cases=int(d["n_prediction_cases"]),
            cases_without_labels=tuple(d["cases_without_labels"]),
            n_labeled_cases_without_prediction=int(d["n_labeled_cases_without_prediction"]),
            n_bootstrap=int(d["n_bootstrap"]),
            seed=int(d["seed"]),
            level=float(d["level"]),
            classes={str(k): ClassResult.from_dict(v) for k, v in d["classes"].items()},
            masks=MaskInputs.from_dict(masks) if masks is not None else None,
            rsna=RsnaEvaluation.from_dict(rsna) if rsna is not None else None,
            location=({str(k): ClassLocation.from_dict(v) for k, v in location.items()}
                      if location is not None else None),
            overlap_summary=d.get("overlap_summary"),
            saliency_pxap=d.get("saliency_pxap"),
        )
