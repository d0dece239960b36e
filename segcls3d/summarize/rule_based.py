"""Rule-based summarizing function (Hooper et al. 2023, Section 3.1 and Algorithms 1-2).

Per class: binarize the probability map with ``probability >= threshold``; the image-level label
is 1 iff the binarized mask holds at least ``tau`` voxels (or ``tau`` mm^3); the image-level
score comes from :data:`segcls3d.summarize.scores.SCORES`. Each class map is summarized on its
own, so multi-class (softmax) and multi-label (sigmoid regions) outputs work the same way.
"""
from __future__ import annotations

import logging
import math
import numbers
from typing import Any, Literal, Mapping, Optional, Sequence

import numpy as np

from segcls3d.defaults import DEFAULT_TAU, DEFAULT_THRESHOLD
from segcls3d.errors import InputDataError
from segcls3d.summarize.base import KIND_KEY, ClassSummary, register_summarizer
from segcls3d.summarize.geometry import ImageGeometry, lesion_statistics, voxel_volume_mm3
from segcls3d.summarize.scores import SCORES

logger = logging.getLogger(__name__)

TAU_UNITS = ("voxels", "mm3")
_REL_TOL = 1e-9  # tau in mm^3 / voxel volume is compared with this tolerance (floating point)


@register_summarizer("rule_based")
class RuleBasedSummarizer:
    """Threshold-and-count summarizer.

    Args:
        threshold: voxel probability threshold t in [0, 1]; a voxel is positive if ``p >= t``.
        tau: minimum number of positive voxels (``tau_unit="voxels"``) or positive volume in mm^3
            (``tau_unit="mm3"``, converted with the voxel volume of each image) for label 1.
            Defaults: ``DEFAULT_THRESHOLD`` and ``DEFAULT_TAU`` voxels (:mod:`segcls3d.defaults`);
            the paper uses t = 0.5 and tau = 100 pixels.
        tau_unit: ``"voxels"`` or ``"mm3"``.
        score: name in ``SCORES``: ``"paper"`` (Algorithm 2), ``"max"``, ``"topk_mean"``,
            ``"soft_volume"`` (ranking score in mm^3, not a probability).
        top_k: k of ``"topk_mean"`` (number of voxels).

    Raises:
        ValueError: an argument is out of range or unknown (the message says which and why).

    Example:
        >>> s = RuleBasedSummarizer(threshold=0.5, tau=2)
        >>> p = np.zeros((1, 4, 4), np.float32); p[0, 1, 1:3] = 0.9
        >>> out = s.summarize({"lesion": p}, spacing=(999.0, 0.5, 0.5))["lesion"]
        >>> out.label, round(out.probability, 3), out.volume_mm3, out.components
        (1, 0.9, 0.5, 1)
    """

    kind = "rule_based"

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        tau: float = DEFAULT_TAU,
        tau_unit: Literal["voxels", "mm3"] = "voxels",
        score: str = "paper",
        top_k: int = 10,
    ):
        if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) or not 0.0 <= threshold <= 1.0:
            raise ValueError(f"RuleBasedSummarizer: threshold must be a number in [0, 1], got {threshold!r}")
        if isinstance(tau, bool) or not isinstance(tau, numbers.Real) or not math.isfinite(tau) or tau < 0:
            raise ValueError(f"RuleBasedSummarizer: tau must be a finite number >= 0, got {tau!r}")
        if tau_unit not in TAU_UNITS:
            raise ValueError(f"RuleBasedSummarizer: tau_unit must be one of {TAU_UNITS}, got {tau_unit!r}")
        if score not in SCORES:
            raise ValueError(f"RuleBasedSummarizer: unknown score {score!r}; choose one of {sorted(SCORES)}")
        if isinstance(top_k, bool) or not isinstance(top_k, numbers.Integral) or top_k < 1:
            raise ValueError(f"RuleBasedSummarizer: top_k must be an integer >= 1, got {top_k!r}")
        self.threshold = float(threshold)
        self.tau = float(tau)
        self.tau_unit = tau_unit
        self.score = score
        self.top_k = int(top_k)

    # ------------------------------------------------------------------ serialisation
    def to_dict(self) -> dict:
        """Settings as a JSON-serialisable dict with ``"kind": "rule_based"``."""
        return {
            KIND_KEY: self.kind,
            "threshold": self.threshold,
            "tau": self.tau,
            "tau_unit": self.tau_unit,
            "score": self.score,
            "top_k": self.top_k,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "RuleBasedSummarizer":
        """Inverse of :meth:`to_dict`.

        Raises:
            ValueError: wrong kind, unknown keys or invalid values.
        """
        settings = dict(d)
        kind = settings.pop(KIND_KEY, cls.kind)
        if kind != cls.kind:
            raise ValueError(f"RuleBasedSummarizer.from_dict: kind is {kind!r}, expected {cls.kind!r}")
        unknown = sorted(set(settings) - {"threshold", "tau", "tau_unit", "score", "top_k"})
        if unknown:
            raise ValueError(f"RuleBasedSummarizer.from_dict: unknown settings {unknown}")
        return cls(**settings)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items() if k != KIND_KEY)
        return f"RuleBasedSummarizer({args})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RuleBasedSummarizer) and self.to_dict() == other.to_dict()

    # ------------------------------------------------------------------ summarizing
    def tau_voxels(self, shape: Sequence[int], spacing: Sequence[float]) -> float:
        """Tau as a voxel count for an image of this shape and spacing."""
        if self.tau_unit == "voxels":
            return self.tau
        return self.tau / voxel_volume_mm3(shape, spacing)

    def summarize(
        self,
        class_maps: Mapping[str, np.ndarray],
        spacing: Sequence[float],
        geometry: Optional[ImageGeometry] = None,
    ) -> dict[str, ClassSummary]:
        """Summarize each class probability map independently.

        Args:
            class_maps: class name -> probability map in (z, y, x) order (e.g. from
                :func:`segcls3d.summarize.class_maps.class_probability_maps`).
            spacing: voxel spacing in the same axis order as the maps.
            geometry: image geometry; if given, centroids are also returned in world coordinates.

        Raises:
            InputDataError: spacing or geometry does not match a map (message names the class).
        """
        return {name: self.summarize_map(prob, spacing, geometry, name=name) for name, prob in class_maps.items()}

    def summarize_map(
        self,
        probabilities: np.ndarray,
        spacing: Sequence[float],
        geometry: Optional[ImageGeometry] = None,
        name: str = "class",
    ) -> ClassSummary:
        """Summarize one probability map (see :meth:`summarize`)."""
        probabilities = np.asarray(probabilities)
        if geometry is not None:
            if geometry.ndim != probabilities.ndim:
                raise InputDataError(
                    f"class {name!r}: map is {probabilities.ndim}D but the image geometry is {geometry.ndim}D"
                )
            if len(spacing) == geometry.ndim and not np.allclose(geometry.spacing_zyx, spacing, rtol=1e-4):
                logger.warning(
                    "class %s: spacing %s differs from the geometry's %s", name, tuple(spacing), geometry.spacing_zyx
                )
        try:
            volume_per_voxel = voxel_volume_mm3(probabilities.shape, spacing)
        except InputDataError as exc:
            raise InputDataError(f"class {name!r}: {exc}") from exc
        binary = probabilities >= self.threshold
        n_pos = int(np.count_nonzero(binary))
        tau_voxels = self.tau_voxels(probabilities.shape, spacing)
        label = int(n_pos >= tau_voxels * (1.0 - _REL_TOL))
        score = SCORES[self.score](
            probabilities, binary, self.threshold, label, top_k=self.top_k, voxel_volume_mm3=volume_per_voxel
        )
        volume, components, centroid = lesion_statistics(binary, spacing)
        world = geometry.voxel_to_world(centroid) if (geometry is not None and centroid is not None) else None
        logger.debug(
            "class %s: %d voxels >= %.3g (tau %.3g voxels) -> label %d, score %.4g",
            name, n_pos, self.threshold, tau_voxels, label, score,
        )
        return ClassSummary(
            probability=float(score),
            label=label,
            volume_mm3=float(volume),
            components=int(components),
            centroid_voxel=centroid,
            centroid_world=world,
        )
