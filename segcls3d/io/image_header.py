"""Read only the header of an image file (size, spacing, origin, direction) with SimpleITK."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Union

from segcls3d.errors import InputDataError


def read_image_header(path: Union[str, Path], what: str = "image") -> Any:
    """A ``SimpleITK.ImageFileReader`` after ``ReadImageInformation`` (no voxels are read).

    Raises:
        InputDataError: the file is missing or SimpleITK cannot read its header (names the file).
    """
    import SimpleITK as sitk  # slow to import; most callers of segcls3d.io never need it

    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"{path}: {what} file not found")
    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    try:
        reader.ReadImageInformation()
    except RuntimeError as exc:
        raise InputDataError(f"{path}: cannot read the {what} header ({str(exc).strip().splitlines()[-1]})") from None
    return reader
