"""Run-length encoded masks as used by the pneumothorax datasets (SIIM-ACR, CANDID-PTX).

Both datasets store masks in an ``EncodedPixels`` column: space-separated pairs of numbers over
the image flattened **column-major** (Fortran order: down the first column, then the next), with
``"-1"`` meaning "no mask" and several rows per image meaning the union of their masks.

Two encodings exist (choose with ``relative``):

* ``relative=True`` - SIIM-ACR ``train-rle.csv`` (the organisers' ``mask_functions.py``): each
  pair is (offset, length), the offset counted from the end of the previous run (0-based for the
  first run). CANDID-PTX's ``Pneumothorax_reports.csv`` is read the same way by public loaders
  (relative offsets, column-major, 1024 x 1024).
* ``relative=False`` - the usual Kaggle RLE: each pair is (start, length) with a 1-based absolute
  start.

Example (H=3, W=2; pixels 1 and 2 of the first column, 0-based column-major indices 1, 2):
    >>> rle_decode("1 2", (3, 2), relative=True).tolist()
    [[0, 0], [1, 0], [1, 0]]
    >>> rle_encode(rle_decode("2 2", (3, 2), relative=False), relative=False)
    '2 2'
"""
from __future__ import annotations

import math
from typing import Iterable, Optional

import numpy as np

from segcls3d.errors import InputDataError

EMPTY_RLE = "-1"


def is_empty_rle(text: Optional[object]) -> bool:
    """True for ``"-1"``, an empty cell or NaN (no mask)."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return True
    value = str(text).strip()
    return value in ("", EMPTY_RLE)


def _pairs(text: str, where: str) -> np.ndarray:
    tokens = str(text).split()
    try:
        values = np.array([int(t) for t in tokens], dtype=np.int64)
    except ValueError:
        raise InputDataError(f"{where}: RLE {_short(text)} contains a token that is not an integer") from None
    if len(values) % 2:
        raise InputDataError(f"{where}: RLE {_short(text)} has an odd number of values ({len(values)})")
    pairs = values.reshape(-1, 2)
    if (pairs[:, 1] < 0).any() or (pairs[:, 0] < 0).any():
        raise InputDataError(f"{where}: RLE {_short(text)} has a negative start/offset or length")
    return pairs


def rle_decode(text: str, shape: tuple[int, int], *, relative: bool, order: str = "F",
               where: str = "RLE") -> np.ndarray:
    """Decode one RLE string to a uint8 mask of ``shape`` (H, W); ``"-1"``/empty gives zeros.

    Args:
        text: the ``EncodedPixels`` value.
        shape: (H, W) of the image.
        relative: True for SIIM-style offsets from the previous run's end (0-based), False for
            absolute 1-based starts.
        order: ``"F"`` (column-major, SIIM/CANDID) or ``"C"`` (row-major).
        where: names the case/row in error messages.

    Raises:
        InputDataError: malformed text, or a run beyond the image (wrong shape or wrong encoding).
    """
    height, width = int(shape[0]), int(shape[1])
    flat = np.zeros(height * width, dtype=np.uint8)
    if not is_empty_rle(text):
        pairs = _pairs(text, where)
        if relative:
            ends = np.cumsum(pairs[:, 0] + pairs[:, 1])
            starts = ends - pairs[:, 1]
        else:
            if (pairs[:, 0] < 1).any():
                raise InputDataError(f"{where}: absolute RLE starts are 1-based; found a start of 0")
            starts = pairs[:, 0] - 1
            ends = starts + pairs[:, 1]
        if len(ends) and ends.max() > flat.size:
            hint = "absolute" if relative else "relative"
            raise InputDataError(
                f"{where}: RLE run ends at pixel {int(ends.max())} but the image has only {flat.size} pixels "
                f"({height} x {width}); wrong image size, or the RLE is {hint} rather than "
                f"{'relative' if relative else 'absolute'}"
            )
        for start, end in zip(starts, ends):
            flat[start:end] = 1
    return flat.reshape((height, width), order=_check_order(order))


def rle_union(texts: Iterable[str], shape: tuple[int, int], *, relative: bool, order: str = "F",
              where: str = "RLE") -> np.ndarray:
    """Union of the masks of several RLE rows of one image (``"-1"`` rows add nothing)."""
    mask = np.zeros(tuple(int(s) for s in shape), dtype=np.uint8)
    for text in texts:
        mask |= rle_decode(text, shape, relative=relative, order=order, where=where)
    return mask


def rle_encode(mask: np.ndarray, *, relative: bool, order: str = "F") -> str:
    """Encode a binary (H, W) mask; an empty mask gives ``"-1"``.

    Raises:
        ValueError: the mask is not 2D.
    """
    if mask.ndim != 2:
        raise ValueError(f"expected an (H, W) mask, got shape {mask.shape}")
    flat = (np.asarray(mask) > 0).ravel(order=_check_order(order)).astype(np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flat, [0]])))
    starts, ends = edges[0::2], edges[1::2]
    if not len(starts):
        return EMPTY_RLE
    lengths = ends - starts
    if relative:
        previous_ends = np.concatenate([[0], ends[:-1]])
        firsts = starts - previous_ends
    else:
        firsts = starts + 1
    return " ".join(f"{a} {b}" for a, b in zip(firsts.tolist(), lengths.tolist()))


def _check_order(order: str) -> str:
    if order not in ("F", "C"):
        raise ValueError(f"order must be 'F' (column-major) or 'C' (row-major), got {order!r}")
    return order


def _short(text: str, n: int = 40) -> str:
    text = str(text)
    return repr(text if len(text) <= n else text[:n] + "...")
