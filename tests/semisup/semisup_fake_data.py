"""Tiny hand-made raw datasets for the semisup tests (no nnU-Net training needed)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping, Optional

import numpy as np
import SimpleITK as sitk

from segcls3d.labels import write_case_labels

SPACING_XYZ = (0.8, 0.9, 1.5)
ORIGIN_XYZ = (10.0, -5.0, 3.0)


def write_image(path: Path, array: np.ndarray, pixel=None) -> None:
    image = sitk.GetImageFromArray(array)
    image.SetSpacing(SPACING_XYZ)
    image.SetOrigin(ORIGIN_XYZ)
    path.parent.mkdir(parents=True, exist_ok=True)
    sitk.WriteImage(sitk.Cast(image, pixel) if pixel is not None else image, str(path))


def make_raw_dataset(folder: Path, cases: Mapping[str, Optional[np.ndarray]], labels: Mapping[str, Mapping],
                     classes=("lesion",), label_map: Optional[dict] = None, shape=(4, 5, 6),
                     test_cases: Optional[Mapping[str, np.ndarray]] = None) -> Path:
    """``cases``: case -> mask array (None = no mask file). Images are random floats of ``shape``."""
    rng = np.random.default_rng(0)
    for split, items in (("Tr", cases), ("Ts", test_cases or {})):
        for case, mask in items.items():
            write_image(folder / f"images{split}" / f"{case}_0000.nii.gz", rng.normal(size=shape).astype(np.float32))
            if mask is not None:
                write_image(folder / f"labels{split}" / f"{case}.nii.gz", mask.astype(np.uint8))
    dataset = {"channel_names": {"0": "CT"}, "labels": label_map or {"background": 0, "lesion": 1},
               "numTraining": len(cases), "file_ending": ".nii.gz"}
    (folder / "dataset.json").write_text(json.dumps(dataset))
    write_case_labels(folder / "classification_labels.csv", labels, list(classes))
    return folder


def lesion_mask(shape=(4, 5, 6), at=(1, 2, 3), value: int = 1) -> np.ndarray:
    mask = np.zeros(shape, dtype=np.uint8)
    mask[at] = value
    return mask
