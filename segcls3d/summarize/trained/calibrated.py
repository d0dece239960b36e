"""A summarizer whose image-level scores pass through a fitted calibrator per class (kind ``calibrated``).

``probability`` becomes the calibrated value and ``score`` keeps the wrapped summarizer's raw score
(``segcls3d predict`` writes it as ``<class>_score``); the label, volume, components and centroids
stay those of the wrapped summarizer (its own decision rule). The file holds the wrapped
summarizer's settings and each class's calibrator parameters as plain JSON numbers::

    {"kind": "calibrated", "method": "rule_based", "classes": ["lesion"], "model": {...},
     "training": {"calibration": {"method": "isotonic", "out_of_fold": {...}}, ...},
     "summarizer": {"kind": "rule_based", "threshold": 0.5, ...},
     "calibrators": {"lesion": {"method": "isotonic", "x_thresholds": [...], "y_thresholds": [...]}}}
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from segcls3d.errors import InputDataError
from segcls3d.summarize.base import ClassSummary, register_summarizer, summarizer_from_dict
from segcls3d.summarize.calibrators import Calibrator, calibrator_from_dict
from segcls3d.summarize.geometry import ImageGeometry
from segcls3d.summarize.trained.base import TrainedSummarizerBase


@register_summarizer("calibrated")
class CalibratedSummarizer(TrainedSummarizerBase):
    """Another summarizer plus one calibrator per class.

    Args:
        method: the wrapped summarizer's fitting method (``rule_based``, ``threshold``, ``fc``, ...).
        summarizer: the wrapped summarizer (or its ``to_dict()``); not itself calibrated.
        calibrators: class -> calibrator (or its ``to_dict()``), for every class.
        Other arguments: see :class:`TrainedSummarizerBase` (``label_threshold`` is unused).

    Raises:
        ValueError: a class without calibrator, a calibrated summarizer inside, or invalid settings.
    """

    kind = "calibrated"

    def __init__(self, method: str, classes: Sequence[str], model: Mapping[str, Any], summarizer: Any,
                 calibrators: Mapping[str, Any], **common):
        super().__init__(method, classes, model, **common)
        inner = summarizer_from_dict(summarizer) if isinstance(summarizer, Mapping) else summarizer
        if isinstance(inner, CalibratedSummarizer):
            raise ValueError("calibrated: the wrapped summarizer is already calibrated")
        missing = [c for c in self.classes if c not in calibrators]
        if missing:
            raise ValueError(f"calibrated: no calibrator for class(es) {missing}")
        self.summarizer = inner
        self.calibrators: dict[str, Calibrator] = {
            c: calibrator_from_dict(cal) if isinstance(cal, Mapping) else cal
            for c, cal in calibrators.items() if c in self.classes}

    @property
    def needs_features(self) -> bool:  # type: ignore[override]
        return bool(getattr(self.summarizer, "needs_features", False))

    def case_features(self, predictor, image: np.ndarray, properties: dict) -> np.ndarray:
        """The wrapped summarizer's features (embedding summarizers)."""
        return self.summarizer.case_features(predictor, image, properties)

    def to_dict(self) -> dict:
        return {**self.common_dict(), "summarizer": self.summarizer.to_dict(),
                "calibrators": {c: cal.to_dict() for c, cal in self.calibrators.items()}}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "CalibratedSummarizer":
        common, own = cls.split_dict(d, ("summarizer", "calibrators"))
        return cls(**common, **own)

    def summarize(self, class_maps: Mapping[str, np.ndarray], spacing: Sequence[float],
                  geometry: Optional[ImageGeometry] = None, features=None) -> dict[str, ClassSummary]:
        """The wrapped summarizer's summaries with ``probability`` calibrated and ``score`` the raw score.

        Raises:
            InputDataError: a class map is missing (or what the wrapped summarizer raises).
        """
        missing = [c for c in self.classes if c not in class_maps]
        if missing:
            raise InputDataError(f"no probability map for class(es) {missing} (have {sorted(class_maps)})")
        extra = {"features": features} if features is not None else {}
        raw = self.summarizer.summarize({c: class_maps[c] for c in self.classes}, spacing, geometry, **extra)
        return {c: replace(raw[c], probability=float(self.calibrators[c].probability([raw[c].probability])[0]),
                           score=float(raw[c].probability)) for c in self.classes}
