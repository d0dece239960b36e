"""The arrays an overlay is drawn from, kept from a prediction or read back from its files."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

import numpy as np

from segcls3d.summarize import class_probability_maps

SALIENCY_DIRNAME = "saliency"  # predict --bridge-saliency writes saliency/<case>.npz

if TYPE_CHECKING:  # not at run time: evaluate --html reaches this module and must not load torch
    from segcls3d.model.loading import LoadedModel


@dataclass
class CaseArrays:
    """One case in the reader's array order, ``(z, y, x)`` (see :mod:`segcls3d.predict.overlay_slice`).

    Attributes:
        image: the input image ``(C, z, y, x)`` as nnU-Net's reader returns it.
        spacing: voxel spacing in the same order, mm.
        segmentation: predicted label map ``(z, y, x)``; None for a classifier.
        class_maps: class name -> predicted probability map ``(z, y, x)``; None when not kept.
        saliency: a map ``(z, y, x)`` to draw as a heat map (e.g. Grad-CAM), or None.
    """

    image: np.ndarray
    spacing: tuple[float, ...]
    segmentation: Optional[np.ndarray] = None
    class_maps: Optional[dict[str, np.ndarray]] = None
    saliency: Optional[np.ndarray] = None


def saliency_path(out_dir: Path, case_id: str) -> Path:
    """``<out>/saliency/<case>.npz``: a case's saliency maps (``saliency`` (n_classes, z, y, x), ``classes``)."""
    return Path(out_dir) / SALIENCY_DIRNAME / f"{case_id}.npz"


def read_case_arrays(model: "LoadedModel", files: Sequence[Path], out_dir: Path, case_id: str) -> CaseArrays:
    """Arrays of a case predicted by an earlier run: its input image, its mask and, when that run
    wrote ``<case>.npz`` (``--save-probabilities``), its probability maps (and from ``saliency/<case>.npz``,
    ``--bridge-saliency``, the saliency: maximum over classes).

    Raises:
        OSError, RuntimeError: an input or output file cannot be read.
    """
    rw = model.predictor.plans_manager.image_reader_writer_class()
    image, properties = rw.read_images([str(f) for f in files])
    spacing = tuple(float(s) for s in properties["spacing"])
    if model.kind == "classifier":
        return CaseArrays(image, spacing)
    segmentation = rw.read_seg(str(Path(out_dir) / f"{case_id}{model.dataset_json['file_ending']}"))[0][0]
    maps = None
    npz = Path(out_dir) / f"{case_id}.npz"
    if npz.is_file():
        with np.load(npz) as data:
            maps = class_probability_maps(data["probabilities"].astype(np.float32), model.channel_groups)
    saliency = None
    saliency_file = saliency_path(out_dir, case_id)
    if saliency_file.is_file():
        with np.load(saliency_file) as data:
            saliency = data["saliency"].astype(np.float32).max(0)
    return CaseArrays(image, spacing, segmentation, maps, saliency)
