"""Files of a derived raw dataset: images linked (not copied when possible), dataset.json, masks.

Every file appears atomically under its final name (temporary name + rename), so an interrupted
run leaves no half-written file and a re-run can tell finished files from missing ones.
"""
from __future__ import annotations

import glob
import logging
import os
import shutil
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np

from segcls3d.io import atomic_path
from segcls3d.io.dataset_json import write_dataset_json

logger = logging.getLogger(__name__)
PathLike = Union[str, Path]
_GENERATE_ARGS = ("citation", "regions_class_order", "reference", "release", "description",
                  "overwrite_image_reader_writer", "license", "converted_by")


def link_or_copy(src: PathLike, dst: PathLike) -> Path:
    """Hard-link ``src`` to ``dst`` (copy if linking is impossible), atomically; skip if already there.

    An existing ``dst`` is kept when it is the same file (same inode) or has the same size.
    """
    src, dst = Path(src), Path(dst)
    if dst.is_file():
        same = os.path.samefile(src, dst) or dst.stat().st_size == src.stat().st_size
        if same:
            return dst
    with atomic_path(dst) as tmp:
        tmp.unlink()
        try:
            os.link(src, tmp)
        except OSError:
            shutil.copyfile(src, tmp)
    return dst


def remove_case_files(folder: Path, case_id: str, file_ending: str, subfolders: Sequence[str]) -> None:
    """Delete ``<case>_XXXX<ending>`` / ``<case><ending>`` files of a case (e.g. one now excluded)."""
    for sub in subfolders:
        pattern = f"{glob.escape(case_id)}_[0-9][0-9][0-9][0-9]{glob.escape(file_ending)}"
        for f in list((folder / sub).glob(pattern)) + \
                [folder / sub / f"{case_id}{file_ending}"]:
            if f.is_file():
                f.unlink()


def write_mask(reader_writer, mask: np.ndarray, path: Path, properties: dict) -> Path:
    """Write a label map on the image grid (``properties`` from nnU-Net's reader), atomically."""
    dtype = np.uint8 if int(mask.max(initial=0)) < 256 else np.uint16
    with atomic_path(path) as tmp:
        reader_writer.write_seg(mask.astype(dtype), str(tmp), properties)
    return path


def foreground_voxels(mask: np.ndarray, ignore_label: Optional[int]) -> int:
    """Voxels that are neither background (0) nor the ignore label."""
    fg = mask != 0
    if ignore_label is not None:
        fg &= mask != ignore_label
    return int(fg.sum())


def write_derived_dataset_json(out_dir: Path, source: Mapping[str, Any], num_training: int,
                               labels: Optional[Mapping[str, Any]] = None,
                               segcls3d_block: Optional[Mapping] = None) -> Path:
    """Write dataset.json of a dataset derived from ``source`` (its dataset.json), keeping its fields.

    ``labels`` replaces the label mapping (e.g. with an added ``ignore`` label); ``segcls3d_block``
    replaces the ``"segcls3d"`` entry.
    """
    src = dict(source)
    fixed = {"channel_names", "modality", "labels", "numTraining", "file_ending", "name"}
    if "licence" in src:  # nnU-Net writes the argument 'license' under the key 'licence'
        src["license"] = src.pop("licence")
    known = {k: src[k] for k in _GENERATE_ARGS if k in src}
    extra = {k: v for k, v in src.items() if k not in fixed and k not in _GENERATE_ARGS and k != "segcls3d"}
    block = dict(segcls3d_block) if segcls3d_block is not None else src.get("segcls3d")
    if block:
        extra["segcls3d"] = block
    return write_dataset_json(out_dir, src.get("channel_names", src.get("modality")),
                              labels if labels is not None else src["labels"], num_training,
                              src.get("file_ending", ".nii.gz"), dataset_name=Path(out_dir).name, **known, **extra)


def link_test_split(source: Path, out_dir: Path) -> int:
    """Link ``imagesTs``/``labelsTs`` of ``source`` into ``out_dir`` (the test set stays with the data)."""
    n = 0
    for sub in ("imagesTs", "labelsTs"):
        if not (source / sub).is_dir():
            continue
        for f in sorted((source / sub).iterdir()):
            if f.is_file() and not f.name.startswith("."):
                link_or_copy(f, out_dir / sub / f.name)
                n += 1
    return n
