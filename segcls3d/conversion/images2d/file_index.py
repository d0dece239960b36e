"""Finding the image and mask files of 2D datasets by case name, one directory listing per folder.

Example:
    >>> index = index_image_files("masks", strip_suffix="_segmentation")  # doctest: +SKIP
    >>> index["ISIC_0000000"]  # doctest: +SKIP
    PosixPath('masks/ISIC_0000000_segmentation.png')
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Union

from segcls3d.conversion.images2d.reading import IMAGE_SUFFIXES, file_suffix
from segcls3d.conversion.images2d.reading import strip_suffix as _strip_image_suffix
from segcls3d.errors import InputDataError

PathLike = Union[str, Path]


def index_image_files(
    folder: PathLike,
    *,
    strip_suffix: str = "",
    recursive: bool = False,
    suffixes: Iterable[str] = IMAGE_SUFFIXES,
    ignore_endings: Iterable[str] = (),
) -> dict[str, Path]:
    """Map case name -> file for the image files in ``folder``.

    The case name is the file name without its image ending and without ``strip_suffix`` (e.g.
    ``_segmentation``, ``_mask``); files whose name does not end with ``strip_suffix`` are ignored.
    A name without a dot-suffix counts as DICOM only when ``""`` is in ``suffixes``.

    Args:
        folder: the folder to list.
        strip_suffix: name part to remove after the ending is removed.
        recursive: also list sub-folders (e.g. SIIM's ``<study>/<series>/<sop>.dcm``).
        suffixes: accepted endings (lower case, with dot; ``""`` for files without one).
        ignore_endings: name endings (before the image ending) to skip, e.g. ``_superpixels``.

    Raises:
        InputDataError: the folder does not exist, or two files give the same case name.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputDataError(f"{folder}: folder not found")
    accepted = tuple(suffixes)
    ignore = tuple(ignore_endings)
    files = folder.rglob("*") if recursive else folder.iterdir()
    index: dict[str, Path] = {}
    for path in files:
        if path.name.startswith(".") or not path.is_file():
            continue
        suffix = file_suffix(path)
        if suffix not in accepted and not ("" in accepted and _looks_like_uid(path.name)):
            continue
        stem = _strip_image_suffix(path) if suffix in accepted else path.name
        if ignore and stem.endswith(ignore):
            continue
        if strip_suffix:
            if not stem.endswith(strip_suffix):
                continue
            stem = stem[: -len(strip_suffix)]
        if stem in index:
            raise InputDataError(f"{folder}: two files for case '{stem}': {index[stem].name} and {path.name}")
        index[stem] = path
    return index


def _looks_like_uid(name: str) -> bool:
    """DICOM files named by their UID, e.g. ``1.2.826.0.1.3680043.8.498.123`` (digits and dots)."""
    return bool(name) and all(c.isdigit() or c == "." for c in name) and name.count(".") >= 2
