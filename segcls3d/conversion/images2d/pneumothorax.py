"""Pneumothorax datasets with RLE masks (SIIM-ACR, CANDID-PTX): one Case2D per image.

An image is positive when at least one of its rows has a mask, negative when all its rows say
``-1`` (its mask is empty), unknown when its rows are blank (then it is skipped: without a mask
nnU-Net cannot train on it). Several mask rows of one image are merged (union).

Example:
    >>> cases, unlisted = rle_cases({"a": ["-1"]}, {"a": Path("a.dcm")}, relative=True)
    >>> cases[0].labels, unlisted
    ({'pneumothorax': 0.0}, 0)
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping, Optional

from segcls3d.conversion.images2d.convert import Case2D
from segcls3d.conversion.images2d.mask_io import EmptyMask, MaskFiles, MissingMask, RleMask
from segcls3d.conversion.images2d.rle import EMPTY_RLE, is_empty_rle

CLASS_NAME = "pneumothorax"


def rle_label(rles: list[str]) -> Optional[float]:
    """1.0 if any row has a mask, 0.0 if all rows are ``-1``, None if the rows are blank."""
    if any(not is_empty_rle(r) for r in rles):
        return 1.0
    if any(str(r).strip() == EMPTY_RLE for r in rles):
        return 0.0
    return None


def rle_cases(
    rle_table: Mapping[str, list[str]],
    image_index: Mapping[str, Path],
    *,
    relative: bool,
    groups: Optional[Mapping[str, Optional[str]]] = None,
    mask_index: Optional[Mapping[str, Path]] = None,
) -> tuple[list[Case2D], int]:
    """Cases for every image listed in ``rle_table``; returns them and the number of unlisted images.

    Args:
        rle_table: ``{image id: [RLE rows]}`` (see ``label_tables.read_rle_csv``).
        image_index: ``{image id: file}``; listed ids without a file become skipped cases.
        relative: RLE flavour (True = SIIM relative offsets), see :mod:`segcls3d.conversion.images2d.rle`.
        groups: ``{image id: patient id}`` for the splits.
        mask_index: mask files that replace the RLE masks of positive images (CANDID-PTX PNG masks).
    """
    groups = groups or {}
    cases = []
    for image_id in sorted(rle_table):
        rles = rle_table[image_id]
        label = rle_label(rles)
        if label is None:
            mask = MissingMask("EncodedPixels is blank (label unknown, no mask)")
        elif label == 0.0:
            mask = EmptyMask()
        elif mask_index is not None:
            path = mask_index.get(image_id)
            mask = MaskFiles((str(path),)) if path else MissingMask("positive image without a mask file")
        else:
            mask = RleMask(tuple(r for r in rles if not is_empty_rle(r)), relative=relative)
        image = image_index.get(image_id)
        cases.append(Case2D(image_id, str(image) if image else None, mask, {CLASS_NAME: label}, "train",
                            groups.get(image_id)))
    unlisted = len(set(image_index) - set(rle_table))
    return cases, unlisted
