"""Summarize nnU-Net's exported probabilities (``<case>.npz`` + ``<case>.pkl``) into classification.csv."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np

logger = logging.getLogger(__name__)


def geometry_from_properties(properties: dict):
    """ImageGeometry from nnU-Net's image properties (SimpleITK reader), or None for other readers."""
    from segcls3d.summarize import ImageGeometry

    sitk = properties.get("sitk_stuff")
    if not sitk:
        return None
    return ImageGeometry(
        origin_xyz=tuple(sitk["origin"]), spacing_xyz=tuple(sitk["spacing"]), direction=tuple(sitk["direction"])
    )


def summarize_probability_files(
    folder: Path,
    channel_groups: Mapping[str, Sequence[int]],
    summarizer,
    case_ids: Optional[Sequence[str]] = None,
    delete_probabilities: bool = False,
) -> list[dict]:
    """Apply ``summarizer`` to every ``<case>.npz`` in ``folder``; return classification.csv rows."""
    from batchgenerators.utilities.file_and_folder_operations import load_pickle

    from segcls3d.summarize import class_probability_maps, summary_row

    folder = Path(folder)
    files = sorted(folder.glob("*.npz"))
    if case_ids is not None:
        wanted = set(case_ids)
        files = [f for f in files if f.stem in wanted]
    rows = []
    for npz in files:
        case = npz.stem
        probabilities = np.load(npz)["probabilities"]
        properties = load_pickle(str(npz.with_suffix(".pkl")))
        maps = class_probability_maps(probabilities, channel_groups)
        summary = summarizer.summarize(maps, properties["spacing"], geometry_from_properties(properties))
        rows.append(summary_row(case, summary))
        if delete_probabilities:
            npz.unlink()
            npz.with_suffix(".pkl").unlink(missing_ok=True)
    return rows
