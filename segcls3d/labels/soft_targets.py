"""Soft targets for distillation (Gadgil et al., CheXseg, Sec. 4.2 and App. B.4).

CheXseg trains the student with "binary cross-entropy loss with a sigmoid temperature tau = 10"
on the teacher's predicted probabilities. Here, for the teacher's logit map z (nnU-Net's logits,
averaged over folds, on the image grid; see :mod:`segcls3d.pseudolabels.teacher`):

* label (softmax) datasets store ``q = softmax(z / tau)`` over the output channels. With one
  foreground label this *is* CheXseg's sigmoid with temperature: softmax over (background,
  foreground) = sigmoid((z_fg - z_bg) / tau);
* region (sigmoid) datasets store ``q = sigmoid(z / tau)`` per region, exactly CheXseg's.

The student's logits are divided by the same tau in the loss (:func:`segcls3d.training.semisup.losses.
distillation_loss`). Soft targets are stored next to the dataset as ``softTargetsTr/<case>.npz``
(key ``soft_target``, float16, shape (C, *image array shape) in the array order of the dataset's
image reader); dataset.json records them as ``"segcls3d": {"soft_targets": {"folder": ...,
"temperature": ..., "nonlinearity": ...}}``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

import numpy as np

from segcls3d.errors import InputDataError, SegCls3dError
from segcls3d.io import atomic_path

SOFT_TARGETS_DIRNAME = "softTargetsTr"
SOFT_TARGETS_KEY = "soft_targets"
ARRAY_KEY = "soft_target"
DEFAULT_TEMPERATURE = 10.0

PathLike = Union[str, Path]


def soft_target_block(temperature: float, has_regions: bool) -> dict:
    """The dataset.json entry that tells the trainer where the soft targets are and how they were made."""
    return {"folder": SOFT_TARGETS_DIRNAME, "temperature": float(temperature),
            "nonlinearity": "sigmoid" if has_regions else "softmax"}


def soft_target_settings(dataset_json: dict) -> dict:
    """The ``segcls3d.soft_targets`` entry of dataset.json.

    Raises:
        SegCls3dError: the dataset was not written by ``segcls3d pseudolabel soft``.
    """
    block = (dataset_json.get("segcls3d") or {}).get(SOFT_TARGETS_KEY)
    if not block:
        raise SegCls3dError("dataset.json has no 'segcls3d.soft_targets' entry: create the dataset with "
                            "`segcls3d pseudolabel soft` to train nnUNetTrainerSoftTargets")
    return block


def save_soft_target(path: PathLike, soft_target: np.ndarray) -> Path:
    """Write a (C, *spatial) soft target as compressed float16 npz, atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, **{ARRAY_KEY: soft_target.astype(np.float16)})
    return Path(path)


def load_soft_target(path: PathLike) -> np.ndarray:
    """Read a soft target written by :func:`save_soft_target` (float32).

    Raises:
        InputDataError: the file is missing or has no soft target array.
    """
    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"{path}: soft target file not found")
    with np.load(path) as data:
        if ARRAY_KEY not in data:
            raise InputDataError(f"{path}: no '{ARRAY_KEY}' array")
        return data[ARRAY_KEY].astype(np.float32)


def raw_soft_target_path(raw_dataset: Path, case_id: str, block: Optional[dict] = None) -> Path:
    folder = (block or {}).get("folder", SOFT_TARGETS_DIRNAME)
    return Path(raw_dataset) / folder / f"{case_id}.npz"
