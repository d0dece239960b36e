"""Vertebra level names, label ids of the common sources, and level maps on the CT grid.

A *level map* is an integer image on the CT grid whose value is the canonical id of the vertebra
level (``LEVEL_IDS``: C1=1 ... C7=7, T1=8 ... T12=19, L1=20 ... L5=24, S1=25, sacrum=26; the
numbering of the RSNA segmentations and of TotalSegmentator's ``vertebrae_pp_refined`` task for
C1..L5). Sources:

* TotalSegmentator ``total`` task (v2) multi-label output: vertebrae_C1=50 ... vertebrae_C7=44,
  T1=43 ... T12=32, L1=31 ... L5=27, S1=26, sacrum=25 (``TOTALSEG_TOTAL_IDS``),
* the RSNA 2022 competition's ``segmentations/<StudyUID>.nii`` (1-7 = C1-C7, 8-19 = T1-T12),
* a folder of TotalSegmentator binary masks (``<case>/vertebrae_C1.nii.gz`` ...).

Masks on another grid (e.g. the sagittally stored RSNA files) are resampled onto the CT grid with
nearest-neighbour interpolation using the geometry in their headers.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterable, Mapping, Union

import numpy as np

from segcls3d.errors import InputDataError

logger = logging.getLogger(__name__)

PathLike = Union[str, Path]

CERVICAL = tuple(f"C{i}" for i in range(1, 8))
THORACIC = tuple(f"T{i}" for i in range(1, 13))
LUMBAR = tuple(f"L{i}" for i in range(1, 6))
LEVELS: tuple[str, ...] = CERVICAL + THORACIC + LUMBAR + ("S1", "sacrum")
LEVEL_IDS: dict[str, int] = {name: i + 1 for i, name in enumerate(LEVELS)}
TOTALSEG_TOTAL_IDS: dict[str, int] = {
    **{f"C{i}": 51 - i for i in range(1, 8)},
    **{f"T{i}": 44 - i for i in range(1, 13)},
    **{f"L{i}": 32 - i for i in range(1, 6)},
    "S1": 26,
    "sacrum": 25,
}
RSNA_SEGMENTATION_IDS: dict[str, int] = {name: LEVEL_IDS[name] for name in CERVICAL + THORACIC}
SEGMENTATION_SUFFIXES = (".nii.gz", ".nii", ".mha", ".nrrd")


def normalize_level(name: str) -> str:
    """``"vertebrae_C1"``, ``"c1"``, ``"C1"`` -> ``"C1"``; ``"Sacrum"`` -> ``"sacrum"``.

    Raises:
        InputDataError: not a vertebra level TotalSegmentator knows.
    """
    text = str(name).strip()
    if text.lower().startswith("vertebrae_"):
        text = text[len("vertebrae_") :]
    if text.lower() == "sacrum":
        return "sacrum"
    text = text.upper()
    if text not in LEVEL_IDS:
        raise InputDataError(f"{name!r} is not a vertebra level (expected one of {', '.join(LEVELS)})")
    return text


def totalseg_name(level: str) -> str:
    """TotalSegmentator class name of a level: ``"C1"`` -> ``"vertebrae_C1"``, sacrum -> ``"sacrum"``."""
    level = normalize_level(level)
    return level if level == "sacrum" else f"vertebrae_{level}"


def relabel_to_levels(image, source_ids: Mapping[str, int]):
    """Map a multi-label image with ``source_ids`` (level -> id) to canonical level ids; others -> 0."""
    import SimpleITK as sitk

    array = sitk.GetArrayViewFromImage(image)
    if not np.issubdtype(array.dtype, np.integer) and not np.all(np.mod(array, 1) == 0):
        raise InputDataError("vertebra segmentation has non-integer values; expected a label map")
    values = np.clip(array.astype(np.int64), 0, None)
    lut = np.zeros(max(int(values.max(initial=0)), max(source_ids.values())) + 1, dtype=np.uint8)
    for level, source_id in source_ids.items():
        lut[source_id] = LEVEL_IDS[level]
    result = sitk.GetImageFromArray(lut[values])
    result.CopyInformation(image)
    return result


def levels_from_binary_masks(folder: PathLike):
    """Combine TotalSegmentator's per-class masks ``vertebrae_C1.nii.gz``... into a level map."""
    import SimpleITK as sitk

    folder = Path(folder)
    reference, array = None, None
    for level in LEVELS:
        path = folder / f"{totalseg_name(level)}.nii.gz"
        if not path.is_file():
            continue
        mask = sitk.ReadImage(str(path))
        if reference is None:
            reference, array = mask, np.zeros(sitk.GetArrayViewFromImage(mask).shape, np.uint8)
        elif not same_grid(mask, reference):
            raise InputDataError(f"{path}: not on the grid of the other masks in {folder}")
        array[sitk.GetArrayViewFromImage(mask) > 0] = LEVEL_IDS[level]
    if reference is None:
        raise InputDataError(f"{folder}: no vertebrae_*.nii.gz masks found")
    result = sitk.GetImageFromArray(array)
    result.CopyInformation(reference)
    return result


def find_segmentation(folder: PathLike, case_id: str) -> Path | None:
    """``<folder>/<case_id>.nii.gz`` (or .nii/.mha/.nrrd) or a ``<folder>/<case_id>/`` mask folder."""
    folder = Path(folder)
    for suffix in SEGMENTATION_SUFFIXES:
        path = folder / f"{case_id}{suffix}"
        if path.is_file():
            return path
    if (folder / case_id).is_dir():
        return folder / case_id
    return None


def read_level_map(path: PathLike, source_ids: Mapping[str, int] = TOTALSEG_TOTAL_IDS):
    """Read a multi-label file (ids ``source_ids``) or a folder of binary masks as a level map.

    Raises:
        InputDataError: the file cannot be read.
    """
    import SimpleITK as sitk

    path = Path(path)
    if path.is_dir():
        return levels_from_binary_masks(path)
    try:
        image = sitk.ReadImage(str(path))
    except RuntimeError as exc:
        raise InputDataError(
            f"{path}: cannot read vertebra segmentation ({str(exc).strip().splitlines()[-1]})"
        ) from None
    if image.GetNumberOfComponentsPerPixel() != 1 or image.GetDimension() != 3:
        raise InputDataError(f"{path}: expected a 3D single-channel label map")
    try:
        return relabel_to_levels(image, source_ids)
    except InputDataError as exc:
        raise InputDataError(f"{path}: {exc}") from None


def same_grid(a, b, tol: float = 1e-3) -> bool:
    """True if two images share size, spacing, origin and direction (within ``tol``)."""
    return (
        a.GetSize() == b.GetSize()
        and np.allclose(a.GetSpacing(), b.GetSpacing(), atol=tol)
        and np.allclose(a.GetOrigin(), b.GetOrigin(), atol=tol * 10)
        and np.allclose(a.GetDirection(), b.GetDirection(), atol=tol)
    )


def resample_to_reference(label_map, reference, name: str = "segmentation", min_coverage: float = 0.5):
    """Nearest-neighbour resampling of a label map onto the grid of ``reference`` (world coordinates).

    Raises:
        InputDataError: less than ``min_coverage`` of the labelled volume falls inside the reference
            image, i.e. the headers of the two files do not describe the same place.
    """
    import SimpleITK as sitk

    if same_grid(label_map, reference):
        result = sitk.Cast(label_map, sitk.sitkUInt8)
        result.CopyInformation(reference)
        return result
    resampled = sitk.Resample(label_map, reference, sitk.Transform(), sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8)
    before = np.count_nonzero(sitk.GetArrayViewFromImage(label_map)) * np.prod(label_map.GetSpacing())
    after = np.count_nonzero(sitk.GetArrayViewFromImage(resampled)) * np.prod(reference.GetSpacing())
    if before > 0 and after < min_coverage * before:
        raise InputDataError(
            f"{name}: only {100 * after / before:.0f}% of the labelled volume lies inside the CT after resampling "
            "with the header geometry; the segmentation and the CT do not overlap (wrong file or header?)"
        )
    return resampled


def present_levels(level_map, levels: Iterable[str] = LEVELS) -> list[str]:
    """Levels with at least one voxel in the level map."""
    import SimpleITK as sitk

    ids = set(np.unique(sitk.GetArrayViewFromImage(level_map)).tolist())
    return [lvl for lvl in levels if LEVEL_IDS[normalize_level(lvl)] in ids]
