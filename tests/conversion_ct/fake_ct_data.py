"""Tiny synthetic CT inputs in the real formats (DICOM series written with pydicom, NIfTI masks)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import pydicom
import SimpleITK as sitk
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid


def write_dicom_series(
    folder: Path,
    hu: np.ndarray,
    *,
    spacing_xyz: Sequence[float] = (0.8, 0.7, 2.5),
    origin: Sequence[float] = (-20.0, -30.0, 100.0),
    row_dir: Sequence[float] = (1.0, 0.0, 0.0),
    col_dir: Sequence[float] = (0.0, 1.0, 0.0),
    names: Optional[Sequence[str]] = None,
    slope: float = 1.0,
    intercept: float = -1024.0,
    transfer_syntax=ExplicitVRLittleEndian,
    series_uid: Optional[str] = None,
) -> list[Path]:
    """Write ``hu`` (z, y, x) as a CT series; slice k is at ``origin + k * dz * normal``.

    File k is named ``names[k]`` (default ``<k+1>.dcm``) and gets InstanceNumber k+1.
    """
    folder.mkdir(parents=True, exist_ok=True)
    row, col = np.asarray(row_dir, float), np.asarray(col_dir, float)
    normal = np.cross(row, col)
    stored = np.round((hu - intercept) / slope).astype(np.uint16)
    study_uid, series_uid = generate_uid(), series_uid or generate_uid()
    paths = []
    for k, plane in enumerate(stored):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CTImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.Modality = study_uid, series_uid, "CT"
        ds.PatientID = "fake"
        ds.InstanceNumber = k + 1
        ds.ImagePositionPatient = [float(v) for v in np.asarray(origin, float) + k * spacing_xyz[2] * normal]
        ds.ImageOrientationPatient = [float(v) for v in (*row, *col)]
        ds.PixelSpacing = [float(spacing_xyz[1]), float(spacing_xyz[0])]
        ds.SliceThickness = float(spacing_xyz[2])
        ds.Rows, ds.Columns = plane.shape
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
        ds.RescaleSlope, ds.RescaleIntercept = slope, intercept
        ds.PixelData = plane.tobytes()
        if transfer_syntax != ExplicitVRLittleEndian:
            ds.compress(transfer_syntax)
        path = folder / (names[k] if names else f"{k + 1}.dcm")
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def phantom(shape=(12, 10, 9), seed: int = 0) -> np.ndarray:
    """Integer HU volume (z, y, x) with a distinct value per voxel position pattern."""
    rng = np.random.default_rng(seed)
    return rng.integers(-1000, 2000, size=shape).astype(np.int16)


def vertebra_column(shape, levels: Sequence[int], start: int = 1) -> np.ndarray:
    """Level map (z, y, x): level ids stacked along z, 2 slices each, in a central block."""
    out = np.zeros(shape, np.uint8)
    z = start
    for level in levels:
        out[z : z + 2, 2:-2, 2:-2] = level
        z += 2
    return out


def write_image(path: Path, array: np.ndarray, reference: sitk.Image) -> None:
    image = sitk.GetImageFromArray(array)
    image.CopyInformation(reference)
    path.parent.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(image, str(path))


def as_sagittal(image: sitk.Image) -> sitk.Image:
    """Same voxels and world positions, stored with the x axis as the slowest array axis (like RSNA's files)."""
    return sitk.PermuteAxes(image, [1, 2, 0])


def dicom_ds(path: Path) -> pydicom.Dataset:
    return pydicom.dcmread(path)


# ---------------------------------------------------------------------------- RSNA competition folder
RSNA_STUDIES = {
    # study: (patient_overall, fractured levels, vertebra mask source)
    "1.2.826.0.1.3680043.101": (1, ("C2", "C5"), "rsna"),
    "1.2.826.0.1.3680043.102": (0, (), None),
    "1.2.826.0.1.3680043.103": (1, ("C3",), "totalseg"),
    "1.2.826.0.1.3680043.104": (0, (), "broken"),
}
CT_SHAPE = (16, 12, 10)
TOTALSEG_IDS = {1: 50, 2: 49, 3: 48, 4: 47, 5: 46, 6: 45, 7: 44, 8: 43}  # canonical C1..T1 -> `total` ids


def make_rsna_folder(root: Path) -> dict[str, np.ndarray]:
    """Write a fake competition folder; returns the canonical level map (z, y, x) of each study.

    Precomputed TotalSegmentator outputs go to ``root / "totalseg"`` (for --vertebrae-from).
    """
    levels = {}
    rows = ["StudyInstanceUID,patient_overall,C1,C2,C3,C4,C5,C6,C7"]
    for n, (study, (overall, fractured, source)) in enumerate(RSNA_STUDIES.items()):
        hu = phantom(CT_SHAPE, seed=n)
        paths = write_dicom_series(root / "train_images" / study, hu, origin=(-5.0 * n, 3.0, 40.0 + n))
        level_map = vertebra_column(CT_SHAPE, range(1, 9))
        levels[study] = level_map
        reference = sitk.GetImageFromArray(hu)
        reference.SetSpacing((0.8, 0.7, 2.5))
        reference.SetOrigin((-5.0 * n, 3.0, 40.0 + n))
        if source == "rsna":  # stored sagittally like the competition's files
            image = sitk.GetImageFromArray(level_map)
            image.CopyInformation(reference)
            sagittal = sitk.DICOMOrient(image, "PIL")
            assert sitk.GetArrayViewFromImage(sagittal).shape[0] == CT_SHAPE[2]
            (root / "segmentations").mkdir(parents=True, exist_ok=True)
            sitk.WriteImage(sagittal, str(root / "segmentations" / f"{study}.nii"))
        elif source == "totalseg":
            lut = np.zeros(256, np.uint8)
            for canonical, total_id in TOTALSEG_IDS.items():
                lut[canonical] = total_id
            write_image(root / "totalseg" / f"{study}.nii.gz", lut[level_map], reference)
        elif source == "broken":
            paths[7].unlink()
        flags = ["1" if f"C{i}" in fractured else "0" for i in range(1, 8)]
        rows.append(",".join([study, str(overall), *flags]))
    (root / "train.csv").write_text("\n".join(rows) + "\n")
    (root / "train_bounding_boxes.csv").write_text(
        "StudyInstanceUID,x,y,width,height,slice_number\n"
        "1.2.826.0.1.3680043.101,1,1,5,5,4\n1.2.826.0.1.3680043.101,1,1,5,5,5\n"
    )
    return levels
