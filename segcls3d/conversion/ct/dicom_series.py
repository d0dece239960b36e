"""DICOM series -> SimpleITK image with the geometry written in the headers.

Slices are ordered by ImagePositionPatient projected on the slice normal (never by file name
or InstanceNumber), pixel values go through the modality LUT (RescaleSlope/Intercept), and the
origin/spacing/direction come from ImagePositionPatient, ImageOrientationPatient and PixelSpacing.
A series that cannot be stacked into a regular grid without distortion (gaps, uneven spacing,
tilted or mixed slices, undecodable pixel data) raises :class:`InputDataError`.

Compressed transfer syntaxes are decoded by pydicom's plugins (``pylibjpeg``,
``pylibjpeg-openjpeg``, ``pylibjpeg-libjpeg`` or ``python-gdcm``).

Example:
    >>> series = read_dicom_series("train_images/1.2.826.0.1.3680043.10001")  # doctest: +SKIP
    >>> series.image.GetSpacing()  # doctest: +SKIP
    (0.25, 0.25, 0.625)
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence, Union

import numpy as np

from segcls3d.errors import InputDataError

logger = logging.getLogger(__name__)

PathLike = Union[str, Path]
NON_DICOM_SUFFIXES = {".txt", ".json", ".csv", ".xml", ".md", ".nii", ".gz", ".png", ".jpg", ".jpeg", ".nrrd", ".mha"}


@dataclass
class DicomSeries:
    """A stacked series: the image and, per z index, the file and its InstanceNumber."""

    image: "sitk.Image"  # noqa: F821 - SimpleITK imported lazily
    files: list[Path]
    instance_numbers: list[Optional[int]]
    series_uid: str


def list_dicom_files(folder: PathLike) -> list[Path]:
    """Regular files of a folder that may hold DICOM data (hidden files, DICOMDIR, text/NIfTI skipped)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputDataError(f"{folder}: DICOM series folder not found")
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and not p.name.startswith(".")
        and p.name.upper() != "DICOMDIR"
        and p.suffix.lower() not in NON_DICOM_SUFFIXES
    )


def read_dicom_series(
    source: PathLike | Sequence[PathLike],
    *,
    series_uid: Optional[str] = None,
    name: Optional[str] = None,
    spacing_rtol: float = 0.01,
    spacing_atol: float = 0.01,
) -> DicomSeries:
    """Read one DICOM series (a folder or a list of files) into a SimpleITK image.

    Args:
        source: folder of the series, or its files.
        series_uid: which SeriesInstanceUID to read when the folder holds several.
        name: how to call the series in error messages (default: the folder).
        spacing_rtol, spacing_atol: allowed deviation (relative, mm) of a slice gap from the median gap.

    Returns:
        DicomSeries with an int16 image for integer HU data (int32/float32 when needed).

    Raises:
        InputDataError: no/unreadable files, several series, missing or inconsistent geometry tags,
            mixed orientations or sizes, a gantry tilt, duplicated positions, missing slices, uneven
            slice spacing, or pixel data that cannot be decoded.
    """
    import pydicom
    from pydicom.errors import InvalidDicomError

    files = list_dicom_files(source) if isinstance(source, (str, Path)) else [Path(f) for f in source]
    label = name or (str(source) if isinstance(source, (str, Path)) else str(Path(files[0]).parent) if files else "?")
    if not files:
        raise InputDataError(f"series {label}: no DICOM files found")
    datasets = []
    for path in files:
        try:
            datasets.append((path, pydicom.dcmread(path)))
        except InvalidDicomError as exc:
            raise InputDataError(f"series {label}: file {path.name} is not a DICOM file ({exc})") from None
        except Exception as exc:  # noqa: BLE001 - pydicom raises many kinds of errors on corrupt headers
            raise InputDataError(f"series {label}: file {path.name} is not a readable DICOM file ({exc})") from None
    datasets = _select_series(datasets, series_uid, label)
    geometry = _slice_geometry(datasets, label)
    order = np.argsort(geometry.positions, kind="stable")
    datasets = [datasets[i] for i in order]
    positions = geometry.positions[order]
    z_spacing = _check_slice_spacing(positions, datasets, label, spacing_rtol, spacing_atol)
    array = _stack_pixels(datasets, label)

    import SimpleITK as sitk

    image = sitk.GetImageFromArray(array)
    image.SetSpacing((geometry.pixel_spacing_xy[0], geometry.pixel_spacing_xy[1], z_spacing))
    image.SetOrigin(tuple(float(v) for v in np.asarray(datasets[0][1].ImagePositionPatient, dtype=float)))
    image.SetDirection(tuple(float(v) for v in geometry.direction.ravel()))
    numbers = [_int_or_none(ds.get("InstanceNumber")) for _, ds in datasets]
    return DicomSeries(image, [p for p, _ in datasets], numbers, str(datasets[0][1].get("SeriesInstanceUID", "")))


def _select_series(datasets, series_uid: Optional[str], label: str):
    for path, ds in datasets:
        if "PixelData" not in ds and "ImagePositionPatient" in ds:
            raise InputDataError(f"series {label}: file {path.name} is an image slice without pixel data (truncated?)")
    images = [(p, ds) for p, ds in datasets if "PixelData" in ds]
    ignored = len(datasets) - len(images)
    if ignored:
        logger.info("series %s: ignoring %d DICOM object(s) without pixel data", label, ignored)
    if not images:
        raise InputDataError(f"series {label}: no DICOM file with pixel data")
    groups: dict[str, list] = defaultdict(list)
    for path, ds in images:
        groups[str(ds.get("SeriesInstanceUID", ""))].append((path, ds))
    if series_uid is not None:
        if series_uid not in groups:
            raise InputDataError(f"series {label}: no files of SeriesInstanceUID {series_uid} (found {sorted(groups)})")
        return groups[series_uid]
    if len(groups) > 1:
        counts = ", ".join(f"{uid or '<empty>'} ({len(v)} files)" for uid, v in sorted(groups.items()))
        raise InputDataError(f"series {label}: the folder mixes several series: {counts}; choose one (series_uid)")
    return next(iter(groups.values()))


@dataclass
class _Geometry:
    positions: np.ndarray  # projection of ImagePositionPatient on the slice normal, per dataset
    pixel_spacing_xy: tuple[float, float]
    direction: np.ndarray  # 3x3, columns = row direction, column direction, normal


def _slice_geometry(datasets, label: str) -> _Geometry:
    first_path, first = datasets[0]
    required = ("ImagePositionPatient", "ImageOrientationPatient", "PixelSpacing", "Rows", "Columns")
    for path, ds in datasets:
        missing = [t for t in required if t not in ds or ds[t].value in (None, "")]
        if missing:
            raise InputDataError(f"series {label}: file {path.name} lacks geometry tag(s) {missing}")
        if int(ds.get("NumberOfFrames", 1) or 1) > 1:
            raise InputDataError(
                f"series {label}: file {path.name} is multi-frame; only single-frame series are supported"
            )
        if int(ds.get("SamplesPerPixel", 1)) != 1:
            raise InputDataError(f"series {label}: file {path.name} is not a grayscale image (SamplesPerPixel != 1)")
    orientation = np.asarray(first.ImageOrientationPatient, dtype=float)
    size = (int(first.Rows), int(first.Columns))
    spacing = np.asarray(first.PixelSpacing, dtype=float)
    for path, ds in datasets[1:]:
        if not np.allclose(np.asarray(ds.ImageOrientationPatient, dtype=float), orientation, atol=1e-3):
            raise InputDataError(f"series {label}: mixed slice orientations ({first_path.name} vs {path.name})")
        if (int(ds.Rows), int(ds.Columns)) != size:
            raise InputDataError(
                f"series {label}: mixed slice sizes ({size} in {first_path.name}, "
                f"{(int(ds.Rows), int(ds.Columns))} in {path.name})"
            )
        if not np.allclose(np.asarray(ds.PixelSpacing, dtype=float), spacing, rtol=1e-3):
            raise InputDataError(f"series {label}: mixed pixel spacings ({first_path.name} vs {path.name})")
    row, col = orientation[:3], orientation[3:]
    if abs(np.linalg.norm(row) - 1) > 1e-2 or abs(np.linalg.norm(col) - 1) > 1e-2 or abs(row @ col) > 1e-2:
        raise InputDataError(
            f"series {label}: ImageOrientationPatient {orientation.tolist()} is not two orthonormal vectors"
        )
    row, col = row / np.linalg.norm(row), col / np.linalg.norm(col)
    normal = np.cross(row, col)
    ipp = np.asarray([np.asarray(ds.ImagePositionPatient, dtype=float) for _, ds in datasets])
    in_plane = ipp @ np.stack([row, col], axis=1)
    tolerance = 0.1 * float(spacing.min())
    if np.abs(in_plane - in_plane[0]).max() > tolerance:
        raise InputDataError(
            f"series {label}: slices are not stacked along the slice normal (in-plane shift up to "
            f"{np.abs(in_plane - in_plane[0]).max():.2f} mm; gantry tilt?); refusing to distort the volume"
        )
    # PixelSpacing = (row spacing = along columns/y, column spacing = along rows/x)
    return _Geometry(ipp @ normal, (float(spacing[1]), float(spacing[0])), np.stack([row, col, normal], axis=1))


def _check_slice_spacing(positions: np.ndarray, datasets, label: str, rtol: float, atol: float) -> float:
    """Return the slice spacing; raise when slices are duplicated, missing or unevenly spaced."""
    if len(positions) == 1:
        ds = datasets[0][1]
        value = ds.get("SpacingBetweenSlices") or ds.get("SliceThickness") or 1.0
        return float(value)
    gaps = np.diff(positions)
    duplicates = np.flatnonzero(gaps < atol)
    if duplicates.size:
        k = int(duplicates[0])
        raise InputDataError(
            f"series {label}: files {datasets[k][0].name} and {datasets[k + 1][0].name} have the same slice "
            "position (duplicated slices or two series mixed)"
        )
    step = float(np.median(gaps))
    bad = np.flatnonzero(np.abs(gaps - step) > max(rtol * step, atol))
    if bad.size:
        k = int(bad[0])
        ratio = gaps[k] / step
        if ratio > 1.5 and abs(ratio - round(ratio)) * step <= max(rtol * step, atol):
            raise InputDataError(
                f"series {label}: missing slice(s): gap of {gaps[k]:.3f} mm between {datasets[k][0].name} and "
                f"{datasets[k + 1][0].name} where the spacing is {step:.3f} mm ({int(round(ratio)) - 1} slice(s) "
                f"missing; {bad.size} irregular gap(s) in total)"
            )
        raise InputDataError(
            f"series {label}: inconsistent slice spacing (gaps from {gaps.min():.3f} to {gaps.max():.3f} mm, "
            f"median {step:.3f} mm)"
        )
    return float((positions[-1] - positions[0]) / (len(positions) - 1))


def _stack_pixels(datasets, label: str) -> np.ndarray:
    apply_modality_lut = _modality_lut_function()
    slices = []
    for path, ds in datasets:
        try:
            raw = ds.pixel_array
        except Exception as exc:  # noqa: BLE001 - any decoder failure is a data problem of this file
            syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
            hint = (
                f" (transfer syntax {syntax.name if syntax is not None else '?'}; install pylibjpeg, "
                "pylibjpeg-openjpeg, pylibjpeg-libjpeg for JPEG/JPEG2000/JPEG-LS)"
            )
            raise InputDataError(f"series {label}: pixel data of {path.name} cannot be decoded: {exc}{hint}") from None
        if raw.ndim != 2:
            raise InputDataError(f"series {label}: {path.name} pixel data has shape {raw.shape}, expected 2D")
        slices.append(apply_modality_lut(raw, ds))
    array = np.stack(slices)
    if np.issubdtype(array.dtype, np.floating) and not np.all(np.mod(array, 1) == 0):
        return array.astype(np.float32)
    low, high = float(array.min()), float(array.max())
    for dtype in (np.int16, np.int32):
        info = np.iinfo(dtype)
        if info.min <= low and high <= info.max:
            return array.astype(dtype)
    return array.astype(np.float32)


def _modality_lut_function():
    try:
        from pydicom.pixels import apply_modality_lut
    except ImportError:  # pydicom < 3
        from pydicom.pixel_data_handlers.util import apply_modality_lut
    return apply_modality_lut


def _int_or_none(value) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
