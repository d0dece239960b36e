"""Component-level detection: each connected component of the truth is a finding, of the prediction a detection.

Components use full connectivity (26 neighbours in 3D, 8 in 2D). A true component is *found* when
at least one of its voxels is predicted; a predicted component that touches no true voxel is a
*false positive*. Sizes are voxel counts, centroids centres of mass in array index order.

Example:
    >>> import numpy as np
    >>> gt = np.zeros((1, 9), bool); gt[0, 0:2] = True; gt[0, 4:6] = True
    >>> pred = np.zeros((1, 9), bool); pred[0, 1] = True; pred[0, 8] = True
    >>> d = compute_component_detection(pred, gt)
    >>> (d.n_true, d.n_found, d.n_false_positive, d.recall)
    (2, 1, 1, 0.5)
    >>> d.pred_centroids[~d.pred_matched].tolist()
    [[0.0, 8.0]]
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import ndimage

__all__ = ["ComponentDetection", "label_components", "compute_component_detection"]


@dataclass(frozen=True)
class ComponentDetection:
    """Labelled components of truth and prediction, and which of them meet.

    Component ``k`` (1-based in the label arrays) is row ``k - 1`` of the per-component arrays.
    """

    true_labels: np.ndarray
    pred_labels: np.ndarray
    true_found: np.ndarray
    pred_matched: np.ndarray
    true_sizes: np.ndarray
    pred_sizes: np.ndarray
    true_centroids: np.ndarray
    pred_centroids: np.ndarray

    @property
    def n_true(self) -> int:
        return int(self.true_found.size)

    @property
    def n_found(self) -> int:
        return int(self.true_found.sum())

    @property
    def n_false_positive(self) -> int:
        return int((~self.pred_matched).sum())

    @property
    def recall(self) -> float:
        """Found / true components; NaN without true components."""
        return self.n_found / self.n_true if self.n_true else float("nan")


def label_components(mask: ArrayLike) -> tuple[np.ndarray, int]:
    """``scipy.ndimage.label`` with full connectivity: (label array, number of components)."""
    mask = np.asarray(mask, dtype=bool)
    structure = ndimage.generate_binary_structure(max(mask.ndim, 1), max(mask.ndim, 1))
    labels, n = ndimage.label(mask, structure=structure)
    return labels, int(n)


def _sizes_and_centroids(mask: np.ndarray, labels: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    sizes = np.bincount(labels.ravel(), minlength=n + 1)[1:].astype(np.int64)
    if n == 0:
        return sizes, np.zeros((0, mask.ndim))
    centroids = np.asarray(ndimage.center_of_mass(mask, labels, range(1, n + 1)), dtype=float)
    return sizes, centroids.reshape(n, mask.ndim)


def _touched(labels: np.ndarray, n: int, other: np.ndarray) -> np.ndarray:
    """Which of the ``n`` components in ``labels`` share at least one voxel with ``other``."""
    touched = np.zeros(n + 1, dtype=bool)
    touched[np.unique(labels[other])] = True
    return touched[1:]


def compute_component_detection(pred_mask: ArrayLike, gt_mask: ArrayLike) -> ComponentDetection:
    """Find the connected components of both masks and match them by overlap (>= 1 voxel).

    Raises:
        ValueError: the masks have different shapes.
    """
    pred = np.asarray(pred_mask, dtype=bool)
    gt = np.asarray(gt_mask, dtype=bool)
    if pred.shape != gt.shape:
        raise ValueError(f"mask shapes differ: {pred.shape} vs {gt.shape}")
    true_labels, n_true = label_components(gt)
    pred_labels, n_pred = label_components(pred)
    true_sizes, true_centroids = _sizes_and_centroids(gt, true_labels, n_true)
    pred_sizes, pred_centroids = _sizes_and_centroids(pred, pred_labels, n_pred)
    return ComponentDetection(
        true_labels=true_labels,
        pred_labels=pred_labels,
        true_found=_touched(true_labels, n_true, pred),
        pred_matched=_touched(pred_labels, n_pred, gt),
        true_sizes=true_sizes,
        pred_sizes=pred_sizes,
        true_centroids=true_centroids,
        pred_centroids=pred_centroids,
    )
