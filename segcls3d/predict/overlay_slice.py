"""Which slice an overlay shows: the one holding the most predicted evidence.

Axis convention: arrays are in the order nnU-Net's readers return them, ``(z, y, x)`` for NIfTI via
SimpleITK (``GetArrayFromImage`` reverses the ITK index ``(i, j, k)``). Slices are taken along
axis 0, the image's last ITK axis ``k``: the axial slices of an axially acquired CT or MR. A 2D image
is read as ``(1, y, x)``, so its only slice is the image itself.

Evidence is a non-negative volume, e.g. the top class's probability map (or its binary mask); a
slice's evidence is its sum.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

SLICE_AXIS = 0


def slice_evidence(evidence: np.ndarray) -> np.ndarray:
    """Sum of ``evidence`` over each slice along :data:`SLICE_AXIS`: float64 of shape ``(n_slices,)``.

    NaN counts as 0.

    Raises:
        ValueError: ``evidence`` is not 3D.

    Example:
        >>> e = np.zeros((3, 2, 2)); e[1] = 0.5; e[2, 0, 0] = 1.0
        >>> slice_evidence(e).tolist()
        [0.0, 2.0, 1.0]
    """
    volume = np.asarray(evidence, dtype=np.float64)
    if volume.ndim != 3:
        raise ValueError(f"evidence must be a 3D (z, y, x) volume, got shape {volume.shape}")
    return np.nan_to_num(volume, nan=0.0).reshape(volume.shape[0], -1).sum(axis=1)


def evidence_slice(evidence: Optional[np.ndarray], n_slices: int) -> int:
    """Index of the slice of most evidence (the first of ties).

    Without evidence (None, or zero everywhere, e.g. an empty mask) the middle slice ``n_slices // 2``.

    Raises:
        ValueError: ``evidence`` has another number of slices than ``n_slices``.

    Example:
        >>> e = np.zeros((5, 4, 4)); e[3, :2, :2] = 0.9; e[1, 0, 0] = 1.0
        >>> evidence_slice(e, 5), evidence_slice(None, 5), evidence_slice(np.zeros((5, 4, 4)), 5)
        (3, 2, 2)
    """
    if evidence is None:
        return n_slices // 2
    sums = slice_evidence(evidence)
    if sums.shape[0] != n_slices:
        raise ValueError(f"evidence has {sums.shape[0]} slices, the image {n_slices}")
    return int(np.argmax(sums)) if sums.max() > 0 else n_slices // 2
