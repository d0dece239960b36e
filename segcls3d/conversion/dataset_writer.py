"""Writing the files of an nnU-Net raw dataset: case images/labels, labels CSV and dataset.json.

Converters call :func:`write_case` from their per-case function and :func:`finalize_dataset`
once at the end (after all shards are merged)::

    results = run_cases(ids, convert_one, out_dir)
    finalize_dataset(out_dir, results, channel_names={0: "CT"}, labels={"background": 0, "fracture": 1},
                     classes=["fracture"])
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from segcls3d.conversion.runner import CaseResult
from segcls3d.errors import InputDataError
from segcls3d.io import atomic_path
from segcls3d.io.dataset_json import write_dataset_json
from segcls3d.labels import LABELS_FILENAME, class_definitions, write_case_labels
from segcls3d.labels.case_labels import raw_case_ids

logger = logging.getLogger(__name__)

_IMAGE_FOLDERS = {"train": ("imagesTr", "labelsTr"), "test": ("imagesTs", "labelsTs")}


def case_paths(
    out_dir: Path, case_id: str, split: str = "train", num_channels: int = 1, file_ending: str = ".nii.gz"
) -> tuple[list[Path], Path]:
    """Image paths (one per channel) and label path of a case in a raw dataset."""
    images, labels = _IMAGE_FOLDERS[split]
    out_dir = Path(out_dir)
    image_paths = [out_dir / images / f"{case_id}_{c:04d}{file_ending}" for c in range(num_channels)]
    return image_paths, out_dir / labels / f"{case_id}{file_ending}"


def write_case(
    out_dir: Path, case_id: str, images: Sequence, label=None, split: str = "train", file_ending: str = ".nii.gz"
) -> None:
    """Write the channel images (SimpleITK images) and optional label map of one case atomically.

    The label map is written as uint8 (uint16 when ids exceed 255) on the image grid.

    Raises:
        InputDataError: a label map whose size/spacing/origin/direction differ from the first image.
    """
    import SimpleITK as sitk

    image_paths, label_path = case_paths(out_dir, case_id, split, len(images), file_ending)
    if label is not None:
        _check_same_grid(images[0], label, case_id)
        stats = sitk.MinimumMaximumImageFilter()
        stats.Execute(label)
        pixel = sitk.sitkUInt8 if stats.GetMaximum() <= 255 else sitk.sitkUInt16
        label = sitk.Cast(label, pixel)
        with atomic_path(label_path) as tmp:
            sitk.WriteImage(label, str(tmp), useCompression=True)
    for image, path in zip(images, image_paths):
        with atomic_path(path) as tmp:
            sitk.WriteImage(image, str(tmp), useCompression=True)


def _check_same_grid(image, label, case_id: str, tol: float = 1e-3) -> None:
    same = (
        image.GetSize() == label.GetSize()
        and np.allclose(image.GetSpacing(), label.GetSpacing(), atol=tol)
        and np.allclose(image.GetOrigin(), label.GetOrigin(), atol=tol * 10)
        and np.allclose(image.GetDirection(), label.GetDirection(), atol=tol)
    )
    if not same:
        raise InputDataError(
            f"case {case_id}: label map grid (size {label.GetSize()}, spacing {label.GetSpacing()}) does not "
            f"match the image grid (size {image.GetSize()}, spacing {image.GetSpacing()})"
        )


def finalize_dataset(
    out_dir: Path,
    results: Sequence[CaseResult],
    *,
    channel_names: dict,
    labels: dict,
    classes: list[str],
    class_block: dict | None = None,
    file_ending: str = ".nii.gz",
    dataset_name: str | None = None,
    description: str | None = None,
) -> None:
    """Write classification_labels.csv and dataset.json for the converted (``done``) cases.

    Args:
        out_dir: the raw dataset folder.
        results: CaseResult objects (from ``run_cases`` or ``merge_records``).
        channel_names: ``{0: "CT"}`` etc.
        labels: nnU-Net label mapping, ``{"background": 0, ...}``.
        classes: image-level class names (columns of classification_labels.csv).
        class_block: stored as the ``"segcls3d"`` key of dataset.json, e.g. ``{"classes": {...}}``.
        file_ending: image file ending.
        dataset_name, description: informational fields of dataset.json.

    Raises:
        InputDataError: no case was converted, or a converted case's image file is missing.
        LabelFileError: the class block refers to unknown labels, or a label value is not 0/1/None.
    """
    out_dir = Path(out_dir)
    done = [r for r in results if r.status == "done"]
    if not done:
        raise InputDataError(f"{out_dir}: no case was converted successfully; see {out_dir / 'conversion_log'}")
    missing = []
    for r in done:
        image_paths, _ = case_paths(out_dir, r.case_id, r.split, 1, file_ending)
        if not image_paths[0].is_file():
            missing.append(str(image_paths[0]))
    if missing:
        raise InputDataError(
            f"{out_dir}: records say done but image file(s) are missing: {missing[:5]}; delete the records of "
            "those cases in conversion_log/ and run the conversion again"
        )
    _warn_about_extra_cases(out_dir, {r.case_id for r in done}, file_ending)

    extra = {"segcls3d": dict(class_block)} if class_block else {}
    # validate the class block against the labels before anything is written
    class_definitions({"labels": dict(labels), **extra}, source=f"{out_dir}/dataset.json")

    write_case_labels(out_dir / LABELS_FILENAME, {r.case_id: dict(r.labels) for r in done}, classes)
    num_training = sum(r.split == "train" for r in done)
    write_dataset_json(out_dir, channel_names, labels, num_training, file_ending,
                       dataset_name=dataset_name, description=description, **extra)
    logger.info(
        "%s: dataset.json with %d training case(s), %d test case(s)", out_dir, num_training, len(done) - num_training
    )


def _warn_about_extra_cases(out_dir: Path, done_ids: set[str], file_ending: str) -> Optional[list[str]]:
    extra = sorted((raw_case_ids(out_dir, "imagesTr") | raw_case_ids(out_dir, "imagesTs")) - done_ids)
    if extra:
        logger.warning(
            "%s: %d image(s) without a 'done' record are left in the dataset folder (e.g. %s); remove them "
            "or nnU-Net's numTraining check fails",
            out_dir,
            len(extra),
            extra[:5],
        )
    return extra
