"""PxAP: pixel average precision of a saliency map against a binary mask (Choe et al. 2020; GLAM, App. E).

``PxAP = sum_l PxPrec(tau_l) * (PxRec(tau_l) - PxRec(tau_l-1))`` over the distinct map values tau_l
(a pixel is predicted at tau when its value is >= tau): the step-wise area under the pixel
precision-recall curve, the same sum as scikit-learn's ``average_precision_score``.

* **image-level**: PxAP of each image, then mean and standard deviation over images;
* **dataset-level**: one precision-recall curve over the pixels of all images.

Both are computed from counts per distinct map value (:class:`PixelCounts`), so the dataset-level
curve is accumulated image by image without holding every pixel. ``decimals`` rounds the map first
(fewer distinct values: bounded memory for large datasets; None keeps it exact). An image without a
foreground pixel has no PxAP (NaN, left out of the mean and counted).

Example:
    >>> import numpy as np
    >>> compute_pxap(np.array([[0.9, 0.8], [0.1, 0.7]]), np.array([[1, 0], [0, 1]]))
    0.8333333333333333
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

__all__ = ["PixelCounts", "PxAPAccumulator", "PxAPResult", "compute_pxap", "pixel_counts"]


@dataclass(frozen=True)
class PixelCounts:
    """Per distinct map value (ascending): how many pixels have it and how many of them are foreground."""

    values: np.ndarray
    positives: np.ndarray
    totals: np.ndarray

    @staticmethod
    def empty() -> "PixelCounts":
        return PixelCounts(np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.int64))

    def merge(self, other: "PixelCounts") -> "PixelCounts":
        """Counts of the pixels of both."""
        values, inverse = np.unique(np.concatenate([self.values, other.values]), return_inverse=True)
        positives = np.bincount(inverse, np.concatenate([self.positives, other.positives]), len(values))
        totals = np.bincount(inverse, np.concatenate([self.totals, other.totals]), len(values))
        return PixelCounts(values, positives.astype(np.int64), totals.astype(np.int64))

    def average_precision(self) -> float:
        """PxAP of these pixels; NaN when none is foreground."""
        n_positive = int(self.positives.sum())
        if n_positive == 0:
            return float("nan")
        true_positives = np.cumsum(self.positives[::-1])  # thresholds from the highest value down
        predicted = np.cumsum(self.totals[::-1])
        precision = true_positives / predicted
        recall_gain = self.positives[::-1] / n_positive
        return float(np.sum(precision * recall_gain))


def pixel_counts(saliency: np.ndarray, mask: np.ndarray, decimals: Optional[int] = None) -> PixelCounts:
    """:class:`PixelCounts` of one map and its mask (any nonzero mask value is foreground).

    Raises:
        ValueError: shapes differ or the map has non-finite values.
    """
    saliency = np.asarray(saliency, dtype=np.float64)
    mask = np.asarray(mask)
    if saliency.shape != mask.shape:
        raise ValueError(f"saliency map and mask shapes differ: {saliency.shape} vs {mask.shape}")
    if not np.isfinite(saliency).all():
        raise ValueError("saliency map has non-finite values")
    if decimals is not None:
        saliency = np.round(saliency, decimals)
    values, inverse = np.unique(saliency.ravel(), return_inverse=True)
    totals = np.bincount(inverse, minlength=len(values))
    positives = np.bincount(inverse, weights=(mask.ravel() != 0), minlength=len(values)).astype(np.int64)
    return PixelCounts(values, positives, totals.astype(np.int64))


def compute_pxap(saliency: np.ndarray, mask: np.ndarray, decimals: Optional[int] = None) -> float:
    """Image-level PxAP of one map; NaN if the mask has no foreground."""
    return pixel_counts(saliency, mask, decimals).average_precision()


@dataclass(frozen=True)
class PxAPResult:
    """Image-level PxAP (mean, std over images with foreground, per case) and dataset-level PxAP."""

    image_mean: float
    image_std: float
    dataset: float
    n_images: int
    n_without_foreground: int
    per_case: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        def num(v: float) -> Optional[float]:
            return None if math.isnan(v) else float(v)

        return {"image_level_mean": num(self.image_mean), "image_level_std": num(self.image_std),
                "dataset_level": num(self.dataset), "n_images": self.n_images,
                "n_without_foreground": self.n_without_foreground,
                "per_case": {k: num(v) for k, v in sorted(self.per_case.items())}}


class PxAPAccumulator:
    """Image-level and dataset-level PxAP over images added one at a time.

    Example:
        >>> acc = PxAPAccumulator()
        >>> acc.add("a", np.array([0.9, 0.2]), np.array([1, 0]))
        1.0
        >>> acc.add("b", np.array([0.5, 0.8]), np.array([1, 0]))
        0.5
        >>> r = acc.result()
        >>> (r.image_mean, round(r.dataset, 4))
        (0.75, 0.8333)
    """

    def __init__(self, decimals: Optional[int] = None):
        self.decimals = decimals
        self._counts = PixelCounts.empty()
        self._per_case: dict[str, float] = {}

    def add(self, case_id: str, saliency: np.ndarray, mask: np.ndarray) -> float:
        """Add one image; return its PxAP (NaN without foreground)."""
        counts = pixel_counts(saliency, mask, self.decimals)
        self._counts = self._counts.merge(counts)
        self._per_case[case_id] = counts.average_precision()
        return self._per_case[case_id]

    def result(self) -> PxAPResult:
        defined = [v for v in self._per_case.values() if not math.isnan(v)]
        return PxAPResult(
            image_mean=float(np.mean(defined)) if defined else float("nan"),
            image_std=float(np.std(defined)) if defined else float("nan"),
            dataset=self._counts.average_precision(),
            n_images=len(self._per_case),
            n_without_foreground=len(self._per_case) - len(defined),
            per_case=dict(self._per_case),
        )
