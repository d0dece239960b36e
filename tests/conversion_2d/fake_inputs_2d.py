"""Tiny 2D inputs in the real formats (PNG/JPEG with Pillow, DICOM with pydicom, RLE CSVs)."""
from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def load_script(name: str):
    """Import ``dataset_conversion/<name>.py`` as a module (scripts are not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "dataset_conversion" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def write_png(path: Path, array: np.ndarray, mode: str | None = None) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array, mode=mode).save(path)
    return path


def write_jpeg(path: Path, array: np.ndarray) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path, quality=95)
    return path


def write_dicom(
    path: Path,
    stored: np.ndarray,
    *,
    sop_uid: str | None = None,
    patient_id: str = "P0",
    photometric: str = "MONOCHROME2",
    slope: float | None = None,
    intercept: float | None = None,
    pixel_spacing: tuple[float, float] | None = None,
    imager_spacing: tuple[float, float] | None = None,
    bits_stored: int = 12,
) -> Path:
    """An uncompressed single-frame grayscale DICOM with unsigned 16-bit stored values."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    sop_uid = sop_uid or generate_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = sop_uid
    ds.PatientID = patient_id
    ds.Modality = "CR"
    ds.Rows, ds.Columns = stored.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated = 16
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 0
    if slope is not None:
        ds.RescaleSlope = slope
        ds.RescaleIntercept = intercept or 0
    if pixel_spacing is not None:
        ds.PixelSpacing = list(pixel_spacing)
    if imager_spacing is not None:
        ds.ImagerPixelSpacing = list(imager_spacing)
    ds.PixelData = stored.astype(np.uint16).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def box_mask(shape: tuple[int, int], top: int, left: int, height: int, width: int) -> np.ndarray:
    mask = np.zeros(shape, dtype=np.uint8)
    mask[top:top + height, left:left + width] = 1
    return mask


def gradient(shape: tuple[int, int], scale: int = 1) -> np.ndarray:
    """A deterministic non-symmetric image (rows and columns distinguishable)."""
    rows, cols = np.indices(shape)
    return (rows * 7 + cols * 3) * scale


def siim_reference_encode(mask: np.ndarray) -> str:
    """Relative RLE written pixel by pixel, column by column (an independent reference)."""
    height, width = mask.shape
    out, position, run_start, run_length, previous = [], 0, -1, 0, 0
    last_end = 0
    for x in range(width):
        for y in range(height):
            value = int(mask[y, x] > 0)
            if value and not previous:
                run_start, run_length = position, 1
            elif value:
                run_length += 1
            elif previous:
                out += [run_start - last_end, run_length]
                last_end = run_start + run_length
            previous = value
            position += 1
    if previous:
        out += [run_start - last_end, run_length]
    return " ".join(map(str, out)) if out else "-1"
