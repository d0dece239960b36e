"""PxAP of saliency maps against reference masks, per class (GLAM's localisation metric, App. E).

Maps are read from ``<dir>/<class>/<case><ending>`` (what ``segcls3d saliency`` and ``segcls3d predict``
on a GLAM model write), references from ``<gt_dir>/<case><ending>``; a class's region is the set of its
label ids. As in the paper, the cases that count are those whose reference has the class (images with
a lesion): image-level PxAP is their mean and standard deviation, dataset-level PxAP one curve over
their pixels. Maps are used as they are: PxAP depends only on the order of the values, so Grad-CAM
maps of any scale and GLAM's probabilities compare directly.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Optional, Sequence, Union

import numpy as np

from segcls3d.evaluate.inputs import load_class_label_ids
from segcls3d.evaluate.saliency_pairs import check_folders, prediction_case_ids, saliency_pairs
from segcls3d.metrics.pxap import PxAPAccumulator, PxAPResult

PathLike = Union[str, Path]


def evaluate_saliency_pxap(case_ids: Sequence[str], saliency_dir: PathLike, gt_dir: PathLike,
                           class_label_ids: Mapping[str, Sequence[int]],
                           decimals: Optional[int] = None) -> dict[str, PxAPResult]:
    """Per class with label ids: PxAP over the cases that have a map and a reference containing the class.

    Raises:
        InputDataError: a folder is missing, a file unreadable, or a map and its reference differ in shape.
    """
    check_folders(saliency_dir, gt_dir)
    results = {}
    for name, ids in class_label_ids.items():
        if not ids:
            continue
        accumulator = PxAPAccumulator(decimals)
        for case, saliency, labels in saliency_pairs(list(case_ids), saliency_dir, gt_dir, name):
            truth = np.isin(labels, ids)
            if truth.any():
                accumulator.add(case, saliency.astype(np.float64), truth)
        results[name] = accumulator.result()
    return results


def saliency_pxap_for_predictions(predictions: PathLike, saliency_dir: PathLike, gt_dir: PathLike,
                                  classes_file: Optional[PathLike] = None) -> dict[str, PxAPResult]:
    """:func:`evaluate_saliency_pxap` for the cases of ``predictions`` (classification.csv); class label ids
    from ``classes_file`` (default: classes.json next to ``predictions``).

    Raises:
        InputDataError, LabelFileError: unreadable inputs.
    """
    case_ids = prediction_case_ids(predictions)
    ids = load_class_label_ids(classes_file or Path(predictions).parent / "classes.json")
    return evaluate_saliency_pxap(case_ids, saliency_dir, gt_dir, ids)
