"""Saliency maps next to their reference masks, case by case: what the mIoU and PxAP of maps both read.

Maps live in ``<saliency_dir>/<class>/<case><ending>`` (``segcls3d saliency``, GLAM's predict), references
in ``<gt_dir>/<case><ending>``; the cases come from a predictions table (classification.csv).
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator, Union

import numpy as np

from segcls3d.errors import InputDataError
from segcls3d.evaluate.masks import find_mask, read_mask

PathLike = Union[str, Path]


def prediction_case_ids(predictions: PathLike) -> list[str]:
    """The ``case_id`` column of classification.csv (InputDataError if unreadable)."""
    try:
        with open(predictions, newline="") as handle:
            return [row["case_id"] for row in csv.DictReader(handle)]
    except (OSError, KeyError) as exc:
        raise InputDataError(f"{predictions}: cannot read its case_id column ({exc})") from None


def check_folders(saliency_dir: PathLike, gt_dir: PathLike) -> None:
    """InputDataError naming the first of the two folders that does not exist."""
    for folder in (saliency_dir, gt_dir):
        if not Path(folder).is_dir():
            raise InputDataError(f"{folder}: folder not found")


def saliency_pairs(case_ids: list[str], saliency_dir: PathLike, gt_dir: PathLike,
                   class_name: str) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """``(case, map, reference labels)`` of each case with both files, squeezed to the image's axes.

    Raises:
        InputDataError: a file is unreadable, or a map and its reference differ in shape.
    """
    for case in case_ids:
        map_file, gt_file = find_mask(Path(saliency_dir) / class_name, case), find_mask(gt_dir, case)
        if map_file is None or gt_file is None:
            continue
        saliency, truth = np.squeeze(read_mask(map_file)), np.squeeze(read_mask(gt_file))
        if saliency.shape != truth.shape:
            raise InputDataError(f"{map_file}: map of shape {saliency.shape}, reference {gt_file} {truth.shape}")
        yield case, saliency, truth
