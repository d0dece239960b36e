"""Summarize nnU-Net's exported probabilities (``<case>.npz`` + ``<case>.pkl``) into classification.csv rows."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np
from batchgenerators.utilities.file_and_folder_operations import load_pickle

from segcls3d.summarize import class_probability_maps, geometry_from_properties, summary_row

logger = logging.getLogger(__name__)


def summarize_probability_files(
    folder: Path,
    channel_groups: Mapping[str, Sequence[int]],
    summarizer,
    case_ids: Optional[Sequence[str]] = None,
    delete_probabilities: bool = False,
) -> list[dict]:
    """Apply ``summarizer`` to every ``<case>.npz`` in ``folder``; return classification.csv rows."""
    folder = Path(folder)
    files = sorted(folder.glob("*.npz"))
    if case_ids is not None:
        wanted = set(case_ids)
        files = [f for f in files if f.stem in wanted]
    rows = []
    for npz in files:
        probabilities = np.load(npz)["probabilities"]
        properties = load_pickle(str(npz.with_suffix(".pkl")))
        maps = class_probability_maps(probabilities, channel_groups)
        summary = summarizer.summarize(maps, properties["spacing"], geometry_from_properties(properties))
        rows.append(summary_row(npz.stem, summary))
        if delete_probabilities:
            npz.unlink()
            npz.with_suffix(".pkl").unlink(missing_ok=True)
    return rows
