"""Reading 2D images (PNG, JPEG, DICOM, single-slice NIfTI/NRRD/MHA) into numpy arrays.

Every reader returns an :class:`Image2D`: the pixels as ``(H, W)`` (grayscale) or ``(H, W, 3)``
(colour), plus the pixel spacing ``(row, column)`` in mm when the file states it (DICOM
``PixelSpacing`` or ``ImagerPixelSpacing``, the NIfTI/NRRD header), else ``default_spacing``.

Colour rules (decided once, used by every 2D converter):

* RGBA / LA drop the alpha channel; palette images are expanded to RGB.
* ``channels="auto"``: for one image, an RGB image whose three channels are identical is stored as
  grayscale (1 channel); a real colour image keeps 3 channels. The converters decide ``auto`` once
  per dataset instead (:mod:`~segcls3d.conversion.images2d.channel_probe`: ``rgb`` when any image
  has colour), because all cases of a dataset must have the same channel count.
* ``channels="gray"``: colour images are turned into luminance (ITU-R 601, as Pillow's ``"L"``)
  with a warning; ``channels="rgb"``: grayscale images are repeated into 3 channels.

DICOM: the modality LUT (RescaleSlope/RescaleIntercept) is applied; MONOCHROME1 images are
inverted over the range of possible stored values so that high values are always bright; VOI LUT
windows are not applied (nnU-Net normalizes intensities itself).

Example:
    >>> image = read_image_2d("ISIC_0000000.jpg", channels="rgb")  # doctest: +SKIP
    >>> image.array.shape, image.spacing  # doctest: +SKIP
    ((767, 1022, 3), (1.0, 1.0))
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import numpy as np

from segcls3d.errors import InputDataError

logger = logging.getLogger(__name__)

PathLike = Union[str, Path]
CHANNEL_MODES = ("auto", "gray", "rgb")
PIL_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif")
SITK_SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd")
IMAGE_SUFFIXES = PIL_SUFFIXES + SITK_SUFFIXES + (".dcm", ".dicom")
_LUMA = np.array([0.299, 0.587, 0.114])


@dataclass
class Image2D:
    """A 2D image: ``array`` (H, W) or (H, W, 3), ``spacing`` (row, column) in mm."""

    array: np.ndarray
    spacing: tuple[float, float] = (1.0, 1.0)
    source: str = ""

    @property
    def shape(self) -> tuple[int, int]:
        """(H, W) of the image, whatever its channel count."""
        return int(self.array.shape[0]), int(self.array.shape[1])

    @property
    def num_channels(self) -> int:
        return 1 if self.array.ndim == 2 else int(self.array.shape[2])


def file_suffix(path: PathLike) -> str:
    """Lower-case suffix, with ``.nii.gz`` kept as one suffix."""
    name = Path(path).name.lower()
    if name.endswith(".nii.gz"):
        return ".nii.gz"
    return Path(name).suffix


def strip_suffix(path: PathLike) -> str:
    """File name without its (double) image suffix: ``a.nii.gz`` -> ``a``, ``b.png`` -> ``b``."""
    name = Path(path).name
    suffix = file_suffix(name)
    return name[: len(name) - len(suffix)] if suffix else name


def read_image_2d(path: PathLike, channels: str = "auto", default_spacing: tuple[float, float] = (1.0, 1.0)) -> Image2D:
    """Read a 2D image and apply the channel rule of this module.

    Args:
        path: PNG/JPEG/TIFF/BMP (Pillow), a single-slice NIfTI/NRRD/MHA volume, or DICOM (any
            other name: ``.dcm``, ``.dicom``, no suffix, a UID).
        channels: ``"auto"``, ``"gray"`` or ``"rgb"`` (see the module docstring).
        default_spacing: (row, column) spacing used when the file does not state one.

    Raises:
        InputDataError: the file is missing, unreadable, not 2D (more than one slice or frame),
            or has an unsupported channel layout.
        ValueError: ``channels`` is not one of ``auto``, ``gray``, ``rgb``.
    """
    if channels not in CHANNEL_MODES:
        raise ValueError(f"channels must be one of {CHANNEL_MODES}, got {channels!r}")
    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"{path}: image file not found")
    suffix = file_suffix(path)
    if suffix in PIL_SUFFIXES:
        array, spacing = read_pil(path), None
    elif suffix in SITK_SUFFIXES:
        array, spacing = read_sitk_slice(path)
    else:  # .dcm, .dicom, no suffix, or a UID-like name such as 1.2.826.0.1.3680043.8.498.1
        array, spacing = read_dicom(path)
    array = apply_channel_mode(array, channels, str(path))
    return Image2D(array, tuple(float(s) for s in (spacing or default_spacing)), str(path))


def read_pil(path: Path) -> np.ndarray:
    """Pixels of a PNG/JPEG/... as (H, W) or (H, W, 3); alpha dropped, palette expanded."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.load()
            if getattr(img, "n_frames", 1) > 1:
                raise InputDataError(f"{path}: has {img.n_frames} frames; expected a single 2D image")
            mode = img.mode
            if mode == "P":
                img = img.convert("RGBA" if "transparency" in img.info else "RGB")
            elif mode in ("1", "CMYK", "YCbCr", "LAB", "HSV"):
                img = img.convert("L" if mode == "1" else "RGB")
            array = np.asarray(img)
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as exc:
        raise InputDataError(f"{path}: cannot be read as an image ({exc})") from None
    if array.ndim == 3:
        if array.shape[2] in (2, 4):  # LA, RGBA: drop alpha
            array = array[..., :-1]
        if array.shape[2] == 1:
            array = array[..., 0]
    return np.ascontiguousarray(array)


def read_sitk_slice(path: Path) -> tuple[np.ndarray, tuple[float, float]]:
    """Pixels and (row, column) spacing of a 2D image or a volume with exactly one slice."""
    import SimpleITK as sitk

    try:
        image = sitk.ReadImage(str(path))
    except RuntimeError as exc:
        raise InputDataError(f"{path}: cannot be read by SimpleITK ({str(exc).strip().splitlines()[-1]})") from None
    array = sitk.GetArrayFromImage(image)  # (z, y, x) or (y, x) [+ components]
    spacing_xyz = tuple(image.GetSpacing())
    components = image.GetNumberOfComponentsPerPixel()
    spatial = array.shape[: image.GetDimension()]
    spacing_zyx = spacing_xyz[::-1]
    if image.GetDimension() == 3:
        singletons = [k for k, n in enumerate(spatial) if n == 1]
        if not singletons:
            raise InputDataError(f"{path}: is a volume of size {spatial[::-1]} (x, y, z); expected one slice")
        drop = 0 if 0 in singletons else singletons[0]
        axes = [k for k in range(3) if k != drop]
        array = np.squeeze(array, axis=drop)
        spacing = (spacing_zyx[axes[0]], spacing_zyx[axes[1]])
    elif image.GetDimension() == 2:
        spacing = (spacing_zyx[0], spacing_zyx[1])
    else:
        raise InputDataError(f"{path}: has {image.GetDimension()} dimensions; expected a 2D image")
    if components not in (1, 3, 4):
        raise InputDataError(f"{path}: has {components} components per pixel; expected 1 (gray) or 3 (RGB)")
    if components == 4:
        array = array[..., :3]
    return np.ascontiguousarray(array), (float(spacing[0]), float(spacing[1]))


def read_dicom(path: Path) -> tuple[np.ndarray, tuple[float, float] | None]:
    """Pixels (modality LUT applied, MONOCHROME1 inverted) and spacing of a single-frame DICOM."""
    import pydicom
    from pydicom.errors import InvalidDicomError
    from pydicom.pixels import apply_modality_lut

    try:
        ds = pydicom.dcmread(str(path))
        stored = ds.pixel_array
    except (InvalidDicomError, AttributeError, KeyError, TypeError, OSError, ValueError, RuntimeError,
            NotImplementedError) as exc:
        raise InputDataError(
            f"{path}: cannot be read as a DICOM image ({type(exc).__name__}: {exc}); supported are PNG, JPEG, "
            "TIFF, BMP, NIfTI, NRRD, MHA and DICOM"
        ) from None
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    samples = int(getattr(ds, "SamplesPerPixel", 1) or 1)
    if frames > 1:
        raise InputDataError(f"{path}: DICOM has {frames} frames; expected a single 2D image")
    if samples == 3:
        return np.ascontiguousarray(stored), dicom_spacing(ds)
    if stored.ndim != 2:
        raise InputDataError(f"{path}: DICOM pixel data has shape {stored.shape}; expected (rows, columns)")
    array = _modality(stored, ds, apply_modality_lut)
    if str(getattr(ds, "PhotometricInterpretation", "")).strip().upper() == "MONOCHROME1":
        low, high = _stored_range(ds)
        ends = _modality(np.array([low, high]), ds, apply_modality_lut).astype(np.float64)
        array = (ends.min() + ends.max() - array.astype(np.float64)).astype(array.dtype)
    return array, dicom_spacing(ds)


def _modality(values: np.ndarray, ds, apply_modality_lut) -> np.ndarray:
    """Rescaled values, kept integer (int16/int32) when slope and intercept are integers."""
    slope = float(getattr(ds, "RescaleSlope", 1) or 1)
    intercept = float(getattr(ds, "RescaleIntercept", 0) or 0)
    if slope == 1 and intercept == 0 and "ModalityLUTSequence" not in ds:
        return values
    rescaled = np.asarray(apply_modality_lut(values, ds))
    if slope.is_integer() and intercept.is_integer():
        lo, hi = float(rescaled.min()), float(rescaled.max())
        dtype = np.int16 if -32768 <= lo and hi <= 32767 else np.int32
        return rescaled.astype(dtype)
    return rescaled.astype(np.float32)


def _stored_range(ds) -> tuple[int, int]:
    bits = int(getattr(ds, "BitsStored", getattr(ds, "BitsAllocated", 16)))
    if int(getattr(ds, "PixelRepresentation", 0)) == 1:
        return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return 0, 2**bits - 1


def dicom_spacing(ds) -> tuple[float, float] | None:
    """(row, column) spacing from PixelSpacing, else ImagerPixelSpacing, else None."""
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        value = getattr(ds, keyword, None)
        if value is not None and len(value) == 2:
            row, col = float(value[0]), float(value[1])
            if row > 0 and col > 0:
                return row, col
    return None


def apply_channel_mode(array: np.ndarray, channels: str, source: str) -> np.ndarray:
    """Apply the gray/rgb/auto rule to an (H, W) or (H, W, 3) array.

    Raises:
        InputDataError: the array is neither (H, W) nor (H, W, 3).
    """
    if array.ndim == 2:
        return np.repeat(array[..., None], 3, axis=2) if channels == "rgb" else array
    if array.ndim != 3 or array.shape[2] != 3:
        raise InputDataError(f"{source}: pixel array has shape {array.shape}; expected (H, W) or (H, W, 3)")
    if channels == "rgb":
        return array
    equal = bool(np.array_equal(array[..., 0], array[..., 1]) and np.array_equal(array[..., 0], array[..., 2]))
    if equal:
        return np.ascontiguousarray(array[..., 0])
    if channels == "gray":
        logger.warning("%s: colour image converted to grayscale (luminance) because channels='gray'", source)
        luma = array.astype(np.float64) @ _LUMA
        if np.issubdtype(array.dtype, np.integer):
            return np.clip(np.rint(luma), 0, np.iinfo(array.dtype).max).astype(array.dtype)
        return luma.astype(np.float32)
    return array
