"""Mask-level evaluation: Dice/IoU per case and class, whether the predicted region hits the true one, and
where findings were missed or false positives lie (connected components, see :mod:`segcls3d.evaluate.location`).

Predicted masks are ``<pred_dir>/<case><ending>``, references ``<gt_dir>/<case><ending>``, for any
file ending SimpleITK reads that nnU-Net uses (``.nii.gz`` first). A class's region is the set of
voxels whose label is one of its label ids.
"""
from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping, Optional, Sequence, Union

import numpy as np

from segcls3d.errors import InputDataError
from segcls3d.evaluate.location import locate_case
from segcls3d.evaluate.location_result import CaseLocation
from segcls3d.evaluate.mask_geometry import check_grids
from segcls3d.evaluate.result import ClassMasks
from segcls3d.metrics.overlap import OverlapResult, compute_overlap

PathLike = Union[str, Path]
MASK_ENDINGS: tuple[str, ...] = (".nii.gz", ".nii", ".nrrd", ".mha", ".gipl", ".tif", ".tiff", ".png", ".bmp")

logger = logging.getLogger(__name__)


@dataclass
class MaskEvaluation:
    """Per-class, per-case overlaps and component locations plus the cases whose masks could not be found."""

    overlaps: dict[str, dict[str, OverlapResult]] = field(default_factory=dict)
    locations: dict[str, dict[str, CaseLocation]] = field(default_factory=dict)
    missing_pred: list[str] = field(default_factory=list)
    missing_gt: list[str] = field(default_factory=list)

    @property
    def missing_cases(self) -> list[str]:
        return sorted(set(self.missing_pred) | set(self.missing_gt))


def find_mask(folder: PathLike, case_id: str) -> Optional[Path]:
    """``<folder>/<case_id><ending>`` for the first ending in :data:`MASK_ENDINGS` that exists."""
    for ending in MASK_ENDINGS:
        path = Path(folder) / f"{case_id}{ending}"
        if path.is_file():
            return path
    return None


def read_mask(path: Path) -> np.ndarray:
    """Integer label array of a mask file (SimpleITK order z, y, x).

    Raises:
        InputDataError: the file cannot be read.
    """
    import SimpleITK as sitk

    try:
        return sitk.GetArrayFromImage(sitk.ReadImage(str(path)))
    except RuntimeError as exc:
        raise InputDataError(f"{path}: cannot be read as a mask ({str(exc).strip().splitlines()[-1]})") from None


def evaluate_masks(
    case_ids: Iterable[str],
    pred_dir: PathLike,
    gt_dir: PathLike,
    class_label_ids: Mapping[str, Sequence[int]],
) -> MaskEvaluation:
    """Overlap of predicted and reference regions, and their connected components, for every case and class.

    A missing mask file gives a warning and the case is listed as missing.

    Raises:
        InputDataError: a folder does not exist, a mask cannot be read, or predicted masks lie on
            another grid (shape, spacing, origin or direction) than their references: all such
            cases are named, none is scored (see :func:`~segcls3d.evaluate.mask_geometry.check_grids`).
    """
    from tqdm import tqdm

    for folder, what in ((pred_dir, "predicted masks"), (gt_dir, "ground-truth masks")):
        if not Path(folder).is_dir():
            raise InputDataError(f"{folder}: folder of {what} not found")
    result = MaskEvaluation(overlaps={name: {} for name in class_label_ids},
                            locations={name: {} for name in class_label_ids})
    pairs: dict[str, tuple[Path, Path]] = {}
    for case in case_ids:
        pred_path, gt_path = find_mask(pred_dir, case), find_mask(gt_dir, case)
        if pred_path is None:
            result.missing_pred.append(case)
        if gt_path is None:
            result.missing_gt.append(case)
        if pred_path is not None and gt_path is not None:
            pairs[case] = (pred_path, gt_path)
    grids = check_grids(pairs)  # headers only: every mismatch is reported before any case is scored
    for case, (pred_path, gt_path) in tqdm(pairs.items(), desc="masks", unit="case", disable=len(pairs) < 20):
        pred, gt = read_mask(pred_path), read_mask(gt_path)
        for name, ids in class_label_ids.items():
            result.overlaps[name][case] = compute_overlap(np.isin(pred, ids), np.isin(gt, ids))
            result.locations[name][case] = locate_case(pred, gt, ids, grids[case])
    if result.missing_pred:
        warnings.warn(f"no predicted mask in {pred_dir} for case(s) {result.missing_pred[:10]}"
                      f"{' ...' if len(result.missing_pred) > 10 else ''}; left out of mask metrics",
                      UserWarning, stacklevel=2)
    if result.missing_gt:
        warnings.warn(f"no ground-truth mask in {gt_dir} for case(s) {result.missing_gt[:10]}"
                      f"{' ...' if len(result.missing_gt) > 10 else ''}; left out of mask metrics",
                      UserWarning, stacklevel=2)
    return result


def summarize_overlaps(overlaps: Mapping[str, OverlapResult], positive_cases: set[str],
                       label_ids: Sequence[int]) -> ClassMasks:
    """Mean Dice/IoU of one class over cases with any foreground, and over image-level positive cases.

    Cases where both masks are empty have no Dice; they are left out and counted.
    """
    defined = {c: o for c, o in overlaps.items() if not o.both_empty}
    positives = [o for c, o in defined.items() if c in positive_cases]

    def mean(values: list[float]) -> Optional[float]:
        return float(np.mean(values)) if values else None

    return ClassMasks(
        label_ids=tuple(int(i) for i in label_ids),
        n_both_empty=len(overlaps) - len(defined),
        n_gt_nonempty=sum(o.gt_voxels > 0 for o in overlaps.values()),
        dice_mean=mean([o.dice for o in defined.values()]),
        iou_mean=mean([o.iou for o in defined.values()]),
        n_gt_positive=len(positives),
        dice_mean_gt_positive=mean([o.dice for o in positives]),
        iou_mean_gt_positive=mean([o.iou for o in positives]),
        per_case=dict(overlaps),
    )
