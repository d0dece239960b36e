"""``segcls3d predict --overlays``: one PNG per case that a clinician can read at a glance.

``<out>/overlays/<case>.png`` shows one slice (axis 0 of the reader's ``(z, y, x)`` array, see
:mod:`segcls3d.predict.overlay_slice`) of the first image channel, windowed at its 1st-99th
percentile, with each class's predicted mask contour in its own colour, a legend of class names,
and the image-level probability and label of every class in the title. A saliency map, when the
case has one, is drawn as a heat map under the contours.

Which slice: the one of most evidence for the case's top class (highest image-level probability).
Evidence is the class's predicted probability map; where the maps were not kept (a case predicted
by an earlier run without ``--save-probabilities``) it is the class's predicted mask. Without
evidence (a classifier, a classification-only class, an empty mask) the middle slice is shown.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, Sequence, Union

import numpy as np

from segcls3d.labels import ClassDefinition
from segcls3d.predict.case_arrays import CaseArrays
from segcls3d.predict.contours import class_colours, contour_layer, contour_thickness
from segcls3d.predict.overlay_plot import draw_overlay
from segcls3d.predict.overlay_slice import SLICE_AXIS, evidence_slice
from segcls3d.predict.row_probabilities import class_label, class_probability, top_class
from segcls3d.predict.windowing import window
from segcls3d.summarize import label_mask_for_class

logger = logging.getLogger(__name__)
OVERLAY_DIRNAME = "overlays"


@dataclass(frozen=True)
class Overlay:
    """What :func:`write_case_overlay` drew: the file, the slice, and what chose it."""

    path: Path
    slice_index: int
    n_slices: int
    top_class: Optional[str]
    evidence: str  # "probability" | "mask" | "none"


def overlay_path(out_dir: Path, case_id: str) -> Path:
    """``<out>/overlays/<case>.png``."""
    return Path(out_dir) / OVERLAY_DIRNAME / f"{case_id}.png"


def remove_overlay(out_dir: Path, case_id: str) -> None:
    """Delete a case's overlay (before the case is predicted again, so no stale picture stays)."""
    path = overlay_path(out_dir, case_id)
    if path.is_file():
        path.unlink()


def case_evidence(arrays: CaseArrays, top: Optional[str],
                  classes: Sequence[ClassDefinition]) -> tuple[Optional[np.ndarray], str]:
    """The evidence volume of class ``top`` and its kind (see the module docstring)."""
    if top is None:
        return None, "none"
    if arrays.class_maps is not None and top in arrays.class_maps:
        return arrays.class_maps[top], "probability"
    ids = next((c.label_ids for c in classes if c.name == top), ())
    if arrays.segmentation is not None and ids:
        return label_mask_for_class(arrays.segmentation, ids), "mask"
    return None, "none"


def overlay_title(case_id: str, row: Mapping[str, Any], names: Sequence[str], view: Overlay) -> str:
    """``case: lesion p=0.873 positive; ... | slice z=12 of 24 (most lesion probability)``."""
    parts = []
    for name in names:
        p, label = class_probability(row, name), class_label(row, name)
        value = "n/a" if math.isnan(p) else (f"{p:.3f}" if 0 <= p <= 1 else f"{p:.4g}")
        verdict = {1: " positive", 0: " negative"}.get(label, "")
        parts.append(f"{name} p={value}{verdict}")
    how = f"most {view.top_class} {view.evidence}" if view.evidence != "none" else "middle slice"
    return f"{case_id}: {'; '.join(parts)} | slice z={view.slice_index} of {view.n_slices} ({how})"


def write_case_overlay(path: Path, case_id: str, arrays: CaseArrays, row: Mapping[str, Any],
                       classes: Sequence[ClassDefinition]) -> Overlay:
    """Draw the overlay of one case to ``path`` (PNG, atomic) and say what it shows.

    Raises:
        ValueError: arrays of inconsistent shapes.
    """
    image = np.asarray(arrays.image)
    if image.ndim != 4:
        raise ValueError(f"image must be (C, z, y, x), got shape {image.shape}")
    names = [c.name for c in classes]
    top = top_class(row, names)
    evidence, kind = case_evidence(arrays, top, classes)
    n_slices = image.shape[1 + SLICE_AXIS]
    index = evidence_slice(evidence, n_slices)
    view = Overlay(Path(path), index, n_slices, top, kind)
    shown = image[0, index]
    masked = [c for c in classes if c.label_ids]
    colours = class_colours([c.name for c in masked])
    layer = None
    if arrays.segmentation is not None and masked:
        masks = {c.name: label_mask_for_class(arrays.segmentation[index], c.label_ids) for c in masked}
        layer = contour_layer(masks, colours, contour_thickness(shown.shape))
    heat = window(arrays.saliency[index]) if arrays.saliency is not None else None
    spacing = arrays.spacing[-2:] if len(arrays.spacing) >= 2 else (1.0, 1.0)
    aspect = float(spacing[0]) / float(spacing[1]) if spacing[1] else 1.0
    legend = colours if arrays.segmentation is not None else {}
    draw_overlay(path, window(shown), layer, overlay_title(case_id, row, names, view), legend, heat, aspect)
    return view


def try_overlay(path: Path, case_id: str, arrays: Union[CaseArrays, Callable[[], CaseArrays]],
                row: Mapping[str, Any], classes: Sequence[ClassDefinition]) -> Optional[str]:
    """:func:`write_case_overlay` for one case of many: None, or why it failed (the others go on).

    ``arrays`` may be a function that reads them (its errors are failures of this overlay too).
    """
    try:
        view = write_case_overlay(path, case_id, arrays() if callable(arrays) else arrays, row, classes)
    except Exception as exc:  # noqa: BLE001 - one bad overlay must not stop the others
        logger.debug("overlay of case %s failed", case_id, exc_info=True)
        return f"{type(exc).__name__}: {exc}"
    logger.debug("overlay %s: slice %d of %d (%s)", view.path, view.slice_index, view.n_slices, view.evidence)
    return None
