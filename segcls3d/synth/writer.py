"""Write synthetic cases as an nnU-Net raw dataset: NIfTI images/masks, dataset.json and CSVs.

Every file is written atomically. 2D cases are single-slice volumes whose slice axis gets spacing
999 so that nnU-Net plans a 2d configuration.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
import SimpleITK as sitk

from segcls3d.errors import SegCls3dError
from segcls3d.io import atomic_path, write_text_atomic
from segcls3d.io.dataset_json import write_dataset_json
from segcls3d.labels import LABELS_FILENAME, write_case_labels
from segcls3d.synth.config import SLICE_SPACING_2D, SynthConfig
from segcls3d.synth.generator import SynthCase
from segcls3d.synth.kinds import distractor_kinds, target_kind

CLASS_NAME = "target"
FILE_ENDING = ".nii.gz"
METADATA_FILENAME = "synth_metadata.csv"
CONFIG_FILENAME = "synth_config.json"
METADATA_COLUMNS = (
    "case_id",
    "split",
    "label",
    "target_radius",
    "spurious_present",
    "target_center_zyx",
    "n_objects",
    "target_voxels",
)
SPLIT_FOLDERS = {"train": ("imagesTr", "labelsTr"), "test": ("imagesTs", "labelsTs")}


class SynthWriteError(SegCls3dError):
    """Some synthetic cases could not be written (the message lists them)."""


def spacing_xyz(config: SynthConfig) -> tuple[float, float, float]:
    """SimpleITK spacing (x, y, z) of the written volumes; 2D gets z = 999."""
    if config.dim == 2:
        return (config.spacing[1], config.spacing[0], SLICE_SPACING_2D)
    return tuple(reversed(config.spacing))  # type: ignore[return-value]


def case_paths(out_dir: Path, split: str, case_id: str) -> tuple[Path, Path]:
    """(image, label) paths of a case in the raw dataset folder."""
    images, labels = SPLIT_FOLDERS[split]
    return out_dir / images / f"{case_id}_0000{FILE_ENDING}", out_dir / labels / f"{case_id}{FILE_ENDING}"


def write_volume(array: np.ndarray, spacing: Sequence[float], path: Path) -> None:
    """Write a (z, y, x) array with SimpleITK spacing ``(x, y, z)`` atomically."""
    image = sitk.GetImageFromArray(array)
    image.SetSpacing(tuple(float(s) for s in spacing))
    with atomic_path(path) as tmp:
        sitk.WriteImage(image, str(tmp), useCompression=True)


def write_case(case: SynthCase, config: SynthConfig, out_dir: Path, skip_existing: bool = True) -> bool:
    """Write image and mask of a case; returns False when both existed and were kept."""
    image_path, label_path = case_paths(out_dir, case.split, case.case_id)
    if skip_existing and image_path.is_file() and label_path.is_file():
        return False
    spacing = spacing_xyz(config)
    write_volume(case.image, spacing, image_path)
    write_volume(case.mask, spacing, label_path)
    return True


def metadata_row(case: SynthCase) -> dict[str, object]:
    """One row of synth_metadata.csv (empty target fields for negatives)."""
    target = case.target
    centre = case.target_center_zyx
    return {
        "case_id": case.case_id,
        "split": case.split,
        "label": case.label,
        "target_radius": "" if target is None else f"{target.radius:g}",
        "spurious_present": int(case.spurious_present),
        "target_center_zyx": "" if centre is None else " ".join(f"{c:.3f}" for c in centre),
        "n_objects": len(case.objects),
        "target_voxels": int(case.mask.sum(dtype=np.int64)),
    }


def write_metadata(path: Path, rows: Iterable[Mapping[str, object]]) -> Path:
    """Write synth_metadata.csv atomically."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=METADATA_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return write_text_atomic(path, buffer.getvalue())


def write_labels(out_dir: Path, labels: Mapping[str, int]) -> Path:
    """Write classification_labels.csv with the one class ``target`` for train and test cases."""
    return write_case_labels(out_dir / LABELS_FILENAME, {c: {CLASS_NAME: v} for c, v in labels.items()}, [CLASS_NAME])


def write_synth_dataset_json(out_dir: Path, config: SynthConfig) -> Path:
    """dataset.json of the synthetic task (one class ``target``), written atomically."""
    kinds = ", ".join(k.name for k in distractor_kinds(config.dim, config.distractor_kinds))
    return write_dataset_json(
        out_dir,
        channel_names={"0": "synthetic"},
        labels={"background": 0, CLASS_NAME: 1},
        num_training=config.n_train,
        file_ending=FILE_ENDING,
        dataset_name=config.dataset_name,
        description=(
            f"Synthetic {config.dim}D segmentation-for-classification task after Hooper et al. 2023 (A4): "
            f"find the {target_kind(config.dim).name} among distractors ({kinds})."
        ),
        reference="Hooper et al. 2023, A case for reframing automated medical image classification as "
        "segmentation (NeurIPS)",
        license="CC0 (generated data)",
        converted_by="segcls3d synth",
    )
