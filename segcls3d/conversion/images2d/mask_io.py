"""Where the 2D label map of a case comes from: mask files, RLE rows, an empty or a filled mask.

Each source is a small picklable dataclass with ``load(shape, case_id) -> (H, W) uint8``; the image
shape is passed in because RLE masks and empty masks need it, and mask files are checked against it.

Mask files: PNG/JPEG/... (Pillow) or single-slice NIfTI/NRRD/MHA/DICOM. ``binary=True`` maps every
non-zero pixel to ``value`` (masks saved as 0/255); ``binary=False`` keeps the pixel values as label
ids. Several files are merged (e.g. left + right lung): the later file wins where both are non-zero.
A :class:`MissingMask` stands for a mask that should exist but does not: loading it raises
InputDataError, so the runner reports the case as skipped with the reason.

Example:
    >>> EmptyMask().load((2, 3), "case").shape
    (2, 3)
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Protocol

import numpy as np

from segcls3d.conversion.images2d.reading import read_image_2d
from segcls3d.conversion.images2d.rle import rle_union
from segcls3d.errors import InputDataError


class MaskSource(Protocol):
    def load(self, shape: tuple[int, int], case_id: str) -> np.ndarray:  # pragma: no cover - protocol
        ...


def read_mask_2d(path: Path | str, case_id: str, *, binary: bool, value: int = 1) -> np.ndarray:
    """Read one mask file as an (H, W) uint8 label map.

    Raises:
        InputDataError: unreadable file, a colour mask whose channels differ, or (``binary=False``)
            values that are not integers in 0..255.
    """
    try:
        image = read_image_2d(path, channels="auto")
    except InputDataError as exc:
        raise InputDataError(f"case {case_id}: mask {exc}") from None
    array = image.array
    if array.ndim != 2:
        raise InputDataError(f"case {case_id}: mask {path} is a colour image; expected a gray label map")
    if binary:
        return (array > 0).astype(np.uint8) * np.uint8(value)
    if array.size and (array.min() < 0 or array.max() > 255 or not np.array_equal(array, np.round(array))):
        raise InputDataError(f"case {case_id}: mask {path} has values that are not label ids 0..255")
    return array.astype(np.uint8)


def _check_shape(mask: np.ndarray, shape: tuple[int, int], case_id: str, what: str) -> np.ndarray:
    if tuple(mask.shape) != tuple(shape):
        raise InputDataError(
            f"case {case_id}: {what} has size {tuple(mask.shape)} (rows, columns) but the image has {tuple(shape)}"
        )
    return mask


@dataclass(frozen=True)
class EmptyMask:
    """All background (negative cases, or masks withheld for the non-segmented classes)."""

    def load(self, shape: tuple[int, int], case_id: str) -> np.ndarray:
        return np.zeros(tuple(shape), dtype=np.uint8)


@dataclass(frozen=True)
class MaskFiles:
    """One or more mask files merged into one label map.

    Attributes:
        paths: the files (e.g. left and right lung masks).
        binary: map non-zero to ``value`` (True) or keep pixel values as label ids (False).
        value: label id for ``binary`` masks.
        max_label: largest allowed label id (``binary=False``); larger values raise InputDataError.
    """

    paths: tuple[str, ...]
    binary: bool = True
    value: int = 1
    max_label: Optional[int] = None

    def load(self, shape: tuple[int, int], case_id: str) -> np.ndarray:
        merged = np.zeros(tuple(shape), dtype=np.uint8)
        for path in self.paths:
            mask = _check_shape(read_mask_2d(path, case_id, binary=self.binary, value=self.value), shape,
                                case_id, f"mask {path}")
            merged = np.where(mask > 0, mask, merged)
        if self.max_label is not None and merged.size and int(merged.max()) > self.max_label:
            values = sorted(int(v) for v in np.unique(merged) if v > self.max_label)
            raise InputDataError(
                f"case {case_id}: mask value(s) {values[:10]} are not label ids of this dataset (0..{self.max_label}); "
                "for 0/255 masks use binary masks"
            )
        return merged


@dataclass(frozen=True)
class RleMask:
    """Union of RLE rows (see :mod:`segcls3d.conversion.images2d.rle`), labelled ``value``."""

    rles: tuple[str, ...]
    relative: bool = True
    order: str = "F"
    value: int = 1

    def load(self, shape: tuple[int, int], case_id: str) -> np.ndarray:
        mask = rle_union(self.rles, shape, relative=self.relative, order=self.order, where=f"case {case_id}")
        return mask * np.uint8(self.value)


@dataclass(frozen=True)
class RelabelledMask:
    """Another source with every non-zero pixel set to ``value`` (0 = make it empty)."""

    source: "MaskSource"
    value: int

    def load(self, shape: tuple[int, int], case_id: str) -> np.ndarray:
        mask = self.source.load(shape, case_id)
        return (mask > 0).astype(np.uint8) * np.uint8(self.value)


@dataclass(frozen=True)
class MissingMask:
    """A training case whose mask file is missing: loading it reports the case as skipped."""

    reason: str

    def load(self, shape: tuple[int, int], case_id: str) -> np.ndarray:
        raise InputDataError(f"case {case_id}: {self.reason}")


@dataclass(frozen=True)
class FilledMask:
    """Every pixel set to ``value``, e.g. nnU-Net's ignore label for an image without a mask."""

    value: int

    def load(self, shape: tuple[int, int], case_id: str) -> np.ndarray:
        return np.full(tuple(shape), self.value, dtype=np.uint8)
