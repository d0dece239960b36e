"""``--channels auto`` decided once per dataset: RGB when any image has real colour, else gray.

Deciding per image breaks datasets whose blank or gray-looking images are stored as RGB with three
equal channels: those would become 1-channel cases next to 3-channel colour cases, which nnU-Net
cannot train on. So a first pass looks at the images until it finds one with real colour, reading
as little as it can: the Pillow mode, the SimpleITK header or the DICOM ``SamplesPerPixel`` tell a
gray image without decoding it; only multi-channel images are decoded to compare their channels.

Example:
    >>> dataset_channels(["blank_rgb.png", "lesion_rgb.jpg"])  # doctest: +SKIP
    'rgb'
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterable, Optional, Union

from segcls3d.conversion.images2d.reading import (
    PIL_SUFFIXES,
    SITK_SUFFIXES,
    apply_channel_mode,
    file_suffix,
    read_dicom,
    read_pil,
    read_sitk_slice,
)
from segcls3d.errors import InputDataError

PathLike = Union[str, Path]
logger = logging.getLogger(__name__)

#: Pillow modes with one gray channel (plus alpha for LA): no colour possible
PIL_GRAY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})


def is_colour_image(path: PathLike) -> bool:
    """True when the image has at least two different colour channels somewhere.

    Unreadable or missing files count as gray: the conversion reports them per case.
    """
    path = Path(path)
    suffix = file_suffix(path)
    try:
        if suffix in PIL_SUFFIXES:
            if _pil_mode(path) in PIL_GRAY_MODES:
                return False
            array = read_pil(path)
        elif suffix in SITK_SUFFIXES:
            if _sitk_components(path) == 1:
                return False
            array, _ = read_sitk_slice(path)
        else:
            if _dicom_samples(path) == 1:
                return False
            array, _ = read_dicom(path)
        return apply_channel_mode(array, "auto", str(path)).ndim == 3  # equal channels collapse to (H, W)
    except (InputDataError, OSError, ValueError, RuntimeError):
        return False


def dataset_channels(images: Iterable[Optional[PathLike]]) -> str:
    """``"rgb"`` when any of ``images`` has real colour (the scan stops there), else ``"gray"``."""
    count = 0
    for image in images:
        if image is None:
            continue
        count += 1
        if is_colour_image(image):
            logger.info("--channels auto: %s has colour, so every case gets 3 channel files (R, G, B)", image)
            return "rgb"
    logger.info("--channels auto: none of %d image(s) has colour, so every case gets 1 channel file", count)
    return "gray"


def _pil_mode(path: Path) -> str:
    from PIL import Image

    with Image.open(path) as img:  # lazy: reads the header only
        return str(img.mode)


def _sitk_components(path: Path) -> int:
    import SimpleITK as sitk

    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    reader.ReadImageInformation()
    return int(reader.GetNumberOfComponents())


def _dicom_samples(path: Path) -> int:
    import pydicom

    ds = pydicom.dcmread(str(path), stop_before_pixels=True)
    return int(getattr(ds, "SamplesPerPixel", 1) or 1)
