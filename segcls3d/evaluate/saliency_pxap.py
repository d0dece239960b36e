"""PxAP of saliency maps against reference masks, per class (GLAM's localisation metric, App. E).

Maps are read from ``<dir>/<class>/<case><ending>`` (what ``segcls3d saliency`` and ``segcls3d predict``
on a GLAM model write), references from ``<gt_dir>/<case><ending>``; a class's region is the set of its
label ids. As in the paper, the cases that count are those whose reference has the class (images with
a lesion): image-level PxAP is their mean and standard deviation, dataset-level PxAP one curve over
their pixels. Maps are used as they are: PxAP depends only on the order of the values, so Grad-CAM
maps of any scale and GLAM's probabilities compare directly.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Mapping, Optional, Sequence, Union

import numpy as np

from segcls3d.errors import InputDataError
from segcls3d.evaluate.inputs import load_class_label_ids
from segcls3d.evaluate.masks import find_mask, read_mask
from segcls3d.metrics.pxap import PxAPAccumulator, PxAPResult

PathLike = Union[str, Path]


def evaluate_saliency_pxap(case_ids: Sequence[str], saliency_dir: PathLike, gt_dir: PathLike,
                           class_label_ids: Mapping[str, Sequence[int]],
                           decimals: Optional[int] = None) -> dict[str, PxAPResult]:
    """Per class with label ids: PxAP over the cases that have a map and a reference containing the class.

    Raises:
        InputDataError: a folder is missing, a file unreadable, or a map and its reference differ in shape.
    """
    for folder in (saliency_dir, gt_dir):
        if not Path(folder).is_dir():
            raise InputDataError(f"{folder}: folder not found")
    results = {}
    for name, ids in class_label_ids.items():
        if not ids:
            continue
        accumulator = PxAPAccumulator(decimals)
        for case in case_ids:
            map_file, gt_file = find_mask(Path(saliency_dir) / name, case), find_mask(gt_dir, case)
            if map_file is None or gt_file is None:
                continue
            truth = np.isin(np.squeeze(read_mask(gt_file)), ids)
            if not truth.any():
                continue
            saliency = np.squeeze(read_mask(map_file)).astype(np.float64)
            if saliency.shape != truth.shape:
                raise InputDataError(f"{map_file}: map of shape {saliency.shape}, reference {gt_file} {truth.shape}")
            accumulator.add(case, saliency, truth)
        results[name] = accumulator.result()
    return results


def saliency_pxap_for_predictions(predictions: PathLike, saliency_dir: PathLike, gt_dir: PathLike,
                                  classes_file: Optional[PathLike] = None) -> dict[str, PxAPResult]:
    """:func:`evaluate_saliency_pxap` for the cases of ``predictions`` (classification.csv); class label ids
    from ``classes_file`` (default: classes.json next to ``predictions``).

    Raises:
        InputDataError, LabelFileError: unreadable inputs.
    """
    try:
        with open(predictions, newline="") as handle:
            case_ids = [row["case_id"] for row in csv.DictReader(handle)]
    except (OSError, KeyError) as exc:
        raise InputDataError(f"{predictions}: cannot read its case_id column ({exc})") from None
    ids = load_class_label_ids(classes_file or Path(predictions).parent / "classes.json")
    return evaluate_saliency_pxap(case_ids, saliency_dir, gt_dir, ids)
