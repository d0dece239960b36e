"""Dice and IoU (Jaccard) of two binary masks.

Both masks empty: Dice and IoU are undefined and returned as NaN (no warning; callers count such
cases and leave them out of means, as nnU-Net's evaluation does).

Example:
    >>> import numpy as np
    >>> a = np.zeros((4, 4), bool); a[:2] = True
    >>> b = np.zeros((4, 4), bool); b[1:3] = True
    >>> r = compute_overlap(a, b)
    >>> (r.dice, r.iou)
    (0.5, 0.3333333333333333)
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["OverlapResult", "compute_overlap"]


@dataclass(frozen=True)
class OverlapResult:
    """Voxel counts and overlap scores of a predicted and a reference mask."""

    dice: float
    iou: float
    pred_voxels: int
    gt_voxels: int
    intersection: int

    @property
    def both_empty(self) -> bool:
        return self.pred_voxels == 0 and self.gt_voxels == 0

    def to_dict(self) -> dict:
        return asdict(self)


def compute_overlap(pred_mask: np.ndarray, gt_mask: np.ndarray) -> OverlapResult:
    """Dice ``2|P∩G|/(|P|+|G|)`` and IoU ``|P∩G|/|P∪G|`` of binary masks.

    Raises:
        ValueError: the masks have different shapes.
    """
    pred_mask = np.asarray(pred_mask, dtype=bool)
    gt_mask = np.asarray(gt_mask, dtype=bool)
    if pred_mask.shape != gt_mask.shape:
        raise ValueError(f"mask shapes differ: {pred_mask.shape} vs {gt_mask.shape}")
    n_pred = int(np.count_nonzero(pred_mask))
    n_gt = int(np.count_nonzero(gt_mask))
    inter = int(np.count_nonzero(pred_mask & gt_mask))
    if n_pred + n_gt == 0:
        return OverlapResult(float("nan"), float("nan"), 0, 0, 0)
    union = n_pred + n_gt - inter
    return OverlapResult(2.0 * inter / (n_pred + n_gt), inter / union, n_pred, n_gt, inter)
