"""Bring raw soft targets onto nnU-Net's preprocessed grid, the way nnU-Net preprocessed the image.

nnU-Net's preprocessing of a case is: transpose (``transpose_forward``) -> crop to the nonzero
bounding box -> resample to the configuration's spacing; the bounding box and spacings are in the
case's ``.pkl``. The same three steps, with nnU-Net's own probability resampling function, put
the soft target voxel-for-voxel on the preprocessed image. The result is cached as
``<nnUNet_preprocessed>/<dataset>/soft_targets_<data_identifier>/<case>.npy`` (float16), outside
the folder nnU-Net lists cases from.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from segcls3d.errors import InputDataError
from segcls3d.io import atomic_path
from segcls3d.labels.soft_targets import load_soft_target

logger = logging.getLogger(__name__)


def soft_target_cache_folder(preprocessed_dataset_folder_base: str | Path, data_identifier: str) -> Path:
    return Path(preprocessed_dataset_folder_base) / f"soft_targets_{data_identifier}"


def preprocess_soft_target(soft_target: np.ndarray, properties: dict, target_shape: Sequence[int],
                           plans_manager, configuration_manager, has_regions: bool, case_id: str = "") -> np.ndarray:
    """Transpose, crop and resample a raw (C, *image shape) soft target like nnU-Net's preprocessor.

    Raises:
        InputDataError: the soft target's shape is not the image's shape.
    """
    axes = [0, *[i + 1 for i in plans_manager.transpose_forward]]
    soft = np.asarray(soft_target, dtype=np.float32).transpose(axes)
    expected = tuple(int(s) for s in properties["shape_before_cropping"])
    if soft.shape[1:] != expected:
        raise InputDataError(f"case '{case_id}': soft target shape {soft.shape[1:]} (after transpose) does not match "
                             f"the image shape {expected}")
    bbox = properties["bbox_used_for_cropping"]
    soft = soft[(slice(None), *[slice(int(a), int(b)) for a, b in bbox])]
    original_spacing = [properties["spacing"][i] for i in plans_manager.transpose_forward]
    target_spacing = list(configuration_manager.spacing)
    if len(target_spacing) < len(soft.shape[1:]):
        target_spacing = [original_spacing[0]] + target_spacing
    soft = configuration_manager.resampling_fn_probabilities(soft, tuple(int(s) for s in target_shape),
                                                             original_spacing, target_spacing)
    soft = np.clip(np.asarray(soft, dtype=np.float32), 0.0, 1.0)
    if not has_regions:
        soft /= np.maximum(soft.sum(0, keepdims=True), 1e-8)
    return soft


def prepare_soft_targets(case_ids: Iterable[str], raw_folder: Path, preprocessed_folder: Path, cache_folder: Path,
                         dataset_class, plans_manager, configuration_manager, has_regions: bool) -> set[str]:
    """Preprocess (or reuse the cached) soft targets of ``case_ids``; return the cases that have one.

    A cached file is reused while it is newer than the raw ``.npz``. Cases without a raw soft target
    (the labeled cases) are skipped.
    """
    cache_folder.mkdir(parents=True, exist_ok=True)
    found = set()
    for case in case_ids:
        raw = Path(raw_folder) / f"{case}.npz"
        if not raw.is_file():
            continue
        found.add(case)
        cached = cache_folder / f"{case}.npy"
        if cached.is_file() and cached.stat().st_mtime >= raw.stat().st_mtime:
            continue
        data, _, _, properties = dataset_class(str(preprocessed_folder), [case]).load_case(case)
        soft = preprocess_soft_target(load_soft_target(raw), properties, data.shape[1:], plans_manager,
                                      configuration_manager, has_regions, case)
        with atomic_path(cached) as tmp:
            with open(tmp, "wb") as handle:
                np.save(handle, soft.astype(np.float16))
        os.utime(cached)
    logger.info("soft targets for %d case(s) in %s", len(found), cache_folder)
    return found
