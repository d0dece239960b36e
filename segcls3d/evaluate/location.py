"""Where a prediction went wrong: findings found or missed and false-positive blobs of one class in one case.

Pure array code plus the reference grid: connected components (full connectivity) come from
:func:`segcls3d.metrics.component_detection.compute_component_detection`, sizes in mm^3 and world
coordinates from :class:`~segcls3d.evaluate.mask_geometry.MaskGrid`.

Example:
    >>> import numpy as np
    >>> from segcls3d.evaluate.mask_geometry import MaskGrid
    >>> grid = MaskGrid((4, 1, 1), (2.0, 1.0, 1.0), (0.0, 0.0, 0.0), (1, 0, 0, 0, 1, 0, 0, 0, 1))
    >>> gt = np.array([[[1, 0, 0, 0]]]); pred = np.array([[[0, 0, 0, 1]]])
    >>> case = locate_case(pred, gt, (1,), grid)
    >>> case.true_components[0].found, case.false_positives[0].centroid_world, case.false_positives[0].size_mm3
    (False, (6.0, 0.0, 0.0), 2.0)
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from segcls3d.evaluate.location_result import CaseLocation, LocatedComponent, RegionOutcome
from segcls3d.evaluate.mask_geometry import MaskGrid
from segcls3d.metrics.component_detection import compute_component_detection

__all__ = ["locate_case"]


def _label_ids_per_component(components: np.ndarray, n: int, label_map: np.ndarray,
                             ids: np.ndarray) -> list[tuple[int, ...]]:
    """The label ids (from ``ids``, sorted) found inside each of the ``n`` components."""
    inside = components > 0
    codes = components[inside].astype(np.int64) * ids.size + np.searchsorted(ids, label_map[inside])
    found: list[list[int]] = [[] for _ in range(n)]
    for code in np.unique(codes):
        found[int(code) // ids.size - 1].append(int(ids[int(code) % ids.size]))
    return [tuple(f) for f in found]


def _components(sizes: np.ndarray, centroids: np.ndarray, label_ids: list[tuple[int, ...]], grid: MaskGrid,
                found: Optional[np.ndarray], keep: np.ndarray) -> tuple[LocatedComponent, ...]:
    voxel = grid.voxel_volume_mm3
    return tuple(
        LocatedComponent(int(sizes[k]), float(sizes[k]) * voxel, tuple(float(v) for v in centroids[k]),
                         grid.voxel_to_world(centroids[k]), label_ids[k],
                         None if found is None else bool(found[k]))
        for k in np.flatnonzero(keep)
    )


def _regions(pred: np.ndarray, gt: np.ndarray, ids: np.ndarray) -> tuple[RegionOutcome, ...]:
    outcomes = []
    for label in ids:
        in_gt, in_pred = gt == label, pred == label
        outcomes.append(RegionOutcome(int(label), bool(in_gt.any()), bool(in_pred.any()),
                                      bool(np.any(in_gt & in_pred))))
    return tuple(outcomes)


def locate_case(pred: np.ndarray, gt: np.ndarray, label_ids: Sequence[int], grid: MaskGrid) -> CaseLocation:
    """True components (found or missed), false-positive components and, for several label ids, per-label outcomes.

    Args:
        pred: predicted label map (array order z, y, x).
        gt: reference label map on the same grid.
        label_ids: the class's label ids; its region is every voxel with one of them.
        grid: the reference grid (spacing, origin, direction, in SimpleITK's x, y, z order).

    Raises:
        ValueError: the label maps differ in shape, or do not match the grid's number of axes.
    """
    if pred.shape != gt.shape:
        raise ValueError(f"label maps differ in shape: {pred.shape} vs {gt.shape}")
    if gt.ndim != len(grid.size):
        raise ValueError(f"label map has {gt.ndim} axes but its grid {len(grid.size)}")
    ids = np.unique(np.asarray(label_ids, dtype=np.int64))
    pred_mask, gt_mask = np.isin(pred, ids), np.isin(gt, ids)
    d = compute_component_detection(pred_mask, gt_mask)
    true_ids = _label_ids_per_component(d.true_labels, d.n_true, gt, ids)
    pred_ids = _label_ids_per_component(d.pred_labels, d.pred_matched.size, pred, ids)
    return CaseLocation(
        true_components=_components(d.true_sizes, d.true_centroids, true_ids, grid, d.true_found,
                                    np.ones(d.n_true, dtype=bool)),
        false_positives=_components(d.pred_sizes, d.pred_centroids, pred_ids, grid, None, ~d.pred_matched),
        n_pred_components=int(d.pred_matched.size),
        regions=_regions(pred, gt, ids) if ids.size > 1 else (),
    )
