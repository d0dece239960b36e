"""Typed metrics of one class and one score source: AUROC, operating points, bootstrap, ROC curve, calibration.

Undefined numbers (a single label value, an empty denominator, no bootstrap) are ``None``, as in
the JSON that ``segcls3d evaluate`` writes. ``to_dict`` gives that JSON; ``from_dict`` reads it back
(``Estimate``: see ``estimate.py``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from segcls3d.evaluate.calibration_result import Calibration
from segcls3d.evaluate.estimate import Estimate, optional_float, optional_int
from segcls3d.metrics.confusion import RATE_NAMES

__all__ = ["Estimate", "StrictRecall", "OperatingPointResult", "YoudenPoint", "BootstrapInfo", "RocCurve",
           "SourceResult", "optional_float", "optional_int"]


@dataclass(frozen=True)
class StrictRecall:
    """Strict recall at one operating point (detected AND located), with plain recall on the same cases."""

    value: Optional[float]
    recall_same_cases: Optional[float]
    n_positive: int
    n_detected: int
    n_detected_and_located: int
    n_positive_left_out: int

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "recall_same_cases": self.recall_same_cases, "n_positive": self.n_positive,
                "n_detected": self.n_detected, "n_detected_and_located": self.n_detected_and_located,
                "n_positive_left_out": self.n_positive_left_out}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "StrictRecall":
        return cls(optional_float(d["value"]), optional_float(d["recall_same_cases"]), int(d["n_positive"]),
                   int(d["n_detected"]), int(d["n_detected_and_located"]), int(d["n_positive_left_out"]))


@dataclass(frozen=True)
class OperatingPointResult:
    """Confusion counts and rates (with CIs) at one operating point; counts None when undefined."""

    threshold: Optional[float]
    tp: Optional[int]
    fp: Optional[int]
    tn: Optional[int]
    fn: Optional[int]
    balanced_accuracy: Estimate
    recall: Estimate
    precision: Estimate
    specificity: Estimate
    strict_recall: Optional[StrictRecall] = None  # only with masks

    def rate(self, name: str) -> Estimate:
        """The rate called ``name`` (one of :data:`RATE_NAMES`)."""
        if name not in RATE_NAMES:
            raise KeyError(f"unknown rate {name!r}; choose one of {RATE_NAMES}")
        return getattr(self, name)

    def _head(self) -> dict[str, Any]:
        return {"threshold": self.threshold, "tp": self.tp, "fp": self.fp, "tn": self.tn, "fn": self.fn}

    def to_dict(self) -> dict[str, Any]:
        out = self._head()
        out.update({rate: self.rate(rate).to_dict() for rate in RATE_NAMES})
        if self.strict_recall is not None:
            out["strict_recall"] = self.strict_recall.to_dict()
        return out

    @staticmethod
    def _fields(d: Mapping[str, Any]) -> dict[str, Any]:
        strict = d.get("strict_recall")
        return {"threshold": optional_float(d.get("threshold")),
                **{k: optional_int(d.get(k)) for k in ("tp", "fp", "tn", "fn")},
                **{rate: Estimate.from_dict(d[rate]) for rate in RATE_NAMES},
                "strict_recall": StrictRecall.from_dict(strict) if strict is not None else None}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "OperatingPointResult":
        return cls(**cls._fields(d))


@dataclass(frozen=True)
class YoudenPoint(OperatingPointResult):
    """The Youden operating point: threshold chosen on all cases, plus Youden's J there."""

    youden_index: Optional[float] = None

    def _head(self) -> dict[str, Any]:
        return {**super()._head(), "youden_index": self.youden_index}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "YoudenPoint":
        return cls(**cls._fields(d), youden_index=optional_float(d.get("youden_index")))


@dataclass(frozen=True)
class BootstrapInfo:
    """How the confidence intervals were resampled."""

    n_requested: int
    n_used: int
    n_skipped_single_class: int
    seed: int
    level: float

    def to_dict(self) -> dict[str, Any]:
        return {"n_requested": self.n_requested, "n_used": self.n_used,
                "n_skipped_single_class": self.n_skipped_single_class, "seed": self.seed, "level": self.level}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "BootstrapInfo":
        return cls(int(d["n_requested"]), int(d["n_used"]), int(d["n_skipped_single_class"]), int(d["seed"]),
                   float(d["level"]))


@dataclass(frozen=True)
class RocCurve:
    """scikit-learn's ROC curve; the first threshold (infinite) is None."""

    fpr: tuple[float, ...]
    tpr: tuple[float, ...]
    thresholds: tuple[Optional[float], ...]

    def to_dict(self) -> dict[str, list]:
        return {"fpr": list(self.fpr), "tpr": list(self.tpr), "thresholds": list(self.thresholds)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "RocCurve":
        return cls(*(tuple(optional_float(v) for v in d[k]) for k in ("fpr", "tpr", "thresholds")))


@dataclass(frozen=True)
class SourceResult:
    """Metrics of one class from one score source (``summarizer`` or ``head``)."""

    probability_column: str
    label_column: Optional[str]
    n_unknown_label: int
    n_missing_score: int
    n: int
    n_positive: int
    auroc: Estimate
    bootstrap: BootstrapInfo
    youden: YoudenPoint
    model: Optional[OperatingPointResult]  # at the model's own labels, if the CSV has a label column
    roc_curve: Optional[RocCurve]  # None with a single label value
    calibration: Optional[Calibration] = None  # Brier/ECE; numbers only for probability scores

    @property
    def n_negative(self) -> int:
        return self.n - self.n_positive

    @property
    def single_class(self) -> bool:
        """Only one label value among the cases: every metric is undefined."""
        return self.n_positive in (0, self.n)

    @property
    def operating_points(self) -> dict[str, OperatingPointResult]:
        """``{"youden": ..., "model": ...}`` (``model`` only if present)."""
        return {"youden": self.youden, **({"model": self.model} if self.model is not None else {})}

    def to_dict(self) -> dict[str, Any]:
        return {
            "probability_column": self.probability_column,
            "label_column": self.label_column,
            "n_unknown_label": self.n_unknown_label,
            "n_missing_score": self.n_missing_score,
            "n": self.n,
            "n_positive": self.n_positive,
            "n_negative": self.n_negative,
            "auroc": self.auroc.to_dict(),
            "bootstrap": self.bootstrap.to_dict(),
            "operating_points": {name: point.to_dict() for name, point in self.operating_points.items()},
            "roc_curve": self.roc_curve.to_dict() if self.roc_curve is not None else None,
            **({"calibration": self.calibration.to_dict()} if self.calibration is not None else {}),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "SourceResult":
        points = d["operating_points"]
        return cls(
            probability_column=str(d["probability_column"]),
            label_column=d.get("label_column"),
            n_unknown_label=int(d["n_unknown_label"]),
            n_missing_score=int(d["n_missing_score"]),
            n=int(d["n"]),
            n_positive=int(d["n_positive"]),
            auroc=Estimate.from_dict(d["auroc"]),
            bootstrap=BootstrapInfo.from_dict(d["bootstrap"]),
            youden=YoudenPoint.from_dict(points["youden"]),
            model=OperatingPointResult.from_dict(points["model"]) if "model" in points else None,
            roc_curve=RocCurve.from_dict(d["roc_curve"]) if d.get("roc_curve") else None,
            calibration=Calibration.from_dict(d["calibration"]) if d.get("calibration") else None,
        )
