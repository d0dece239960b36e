"""A saliency map to a binary mask: relative threshold, Otsu, and a cut-off on the map's maximum.

Maps are compared on a relative scale: each map is divided by its maximum (:func:`normalize_map`),
as saliency benchmarks do (CheXplanation, CheXseg), so one threshold per class fits maps of any
strength. A voxel is in the mask when its relative value is ``>= threshold``. With no threshold the
map's own Otsu threshold is used (SimpleITK's ``OtsuThresholdImageFilter``, 128 bins). The optional
``cutoff`` applies to the map's raw maximum: a map whose peak is below it gives an empty mask (the
network found too little evidence anywhere).

Example:
    >>> m = np.array([[0.0, 1.0], [2.0, 4.0]])
    >>> binarize(m, 0.5).tolist(), bool(binarize(m, 0.5, cutoff=5.0).any())
    ([[False, False], [True, True]], False)
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import SimpleITK as sitk

OTSU_BINS = 128


def normalize_map(saliency: np.ndarray) -> np.ndarray:
    """``saliency / max(saliency)`` as float32 (all zeros when the maximum is not positive)."""
    saliency = np.asarray(saliency, dtype=np.float32)
    peak = float(saliency.max(initial=0.0))
    return saliency / peak if peak > 0 else np.zeros_like(saliency)


def otsu_threshold(values: np.ndarray) -> float:
    """Otsu's threshold of ``values`` (SimpleITK, :data:`OTSU_BINS` bins); 1.0 for a constant array."""
    values = np.asarray(values, dtype=np.float32)
    if values.size == 0 or float(values.max()) <= float(values.min()):
        return 1.0
    otsu = sitk.OtsuThresholdImageFilter()
    otsu.SetNumberOfHistogramBins(OTSU_BINS)
    otsu.Execute(sitk.GetImageFromArray(values.reshape(-1, 1) if values.ndim == 1 else values))
    return float(otsu.GetThreshold())


def binarize(saliency: np.ndarray, threshold: Optional[float], cutoff: Optional[float] = None) -> np.ndarray:
    """Mask of the voxels whose relative value is ``>= threshold`` (Otsu's when None).

    Empty when the map's maximum is not positive or below ``cutoff``.
    """
    saliency = np.asarray(saliency, dtype=np.float32)
    peak = float(saliency.max(initial=0.0))
    if peak <= 0 or (cutoff is not None and peak < cutoff):
        return np.zeros(saliency.shape, dtype=bool)
    relative = saliency / peak
    return relative >= (otsu_threshold(relative) if threshold is None else float(threshold))
