"""Patient-grouped cross-validation splits in nnU-Net's ``splits_final.json`` format.

All cases of a group (patient, study) land in the same fold, so that no patient is in the
training and the validation part of a fold. Written into the raw dataset folder and, when
``nnUNet_preprocessed`` is set, into ``$nnUNet_preprocessed/<DatasetName>/`` where nnU-Net reads it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np

from segcls3d.io import write_json_atomic

logger = logging.getLogger(__name__)

SPLITS_FILENAME = "splits_final.json"


def grouped_splits(
    case_ids: Sequence[str], groups: Mapping[str, str], n_folds: int = 5, seed: int = 12345
) -> list[dict[str, list[str]]]:
    """``[{"train": [...], "val": [...]}, ...]`` with whole groups per fold (KFold over shuffled groups).

    Uses fewer folds (with a warning) when there are fewer groups than folds.

    Raises:
        ValueError: fewer than two groups.
    """
    from sklearn.model_selection import KFold  # slow import (~1 s), needed once per conversion

    ids = sorted(case_ids)
    unique_groups = sorted({groups.get(c, c) for c in ids})
    if len(unique_groups) < 2:
        raise ValueError(f"need at least two groups (patients) for cross-validation splits, got {len(unique_groups)}")
    folds = min(n_folds, len(unique_groups))
    if folds < n_folds:
        logger.warning("only %d group(s): writing %d folds instead of %d", len(unique_groups), folds, n_folds)
    splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
    group_array = np.array(unique_groups)
    result = []
    for _, val_idx in splitter.split(group_array):
        val_groups = set(group_array[val_idx].tolist())
        result.append(
            {
                "train": [c for c in ids if groups.get(c, c) not in val_groups],
                "val": [c for c in ids if groups.get(c, c) in val_groups],
            }
        )
    return result


def write_splits(
    raw_dir: Path,
    case_ids: Sequence[str],
    groups: Mapping[str, str],
    *,
    n_folds: int = 5,
    seed: int = 12345,
    dataset_name: Optional[str] = None,
    preprocessed_root: Optional[Path | str] = None,
) -> list[Path]:
    """Write splits_final.json into ``raw_dir`` and, if a preprocessed root is known, there too.

    ``preprocessed_root`` defaults to ``nnunetv2.paths.nnUNet_preprocessed`` (may be unset).
    Returns the written paths (empty with a warning when there are too few groups).
    """
    try:
        splits = grouped_splits(case_ids, groups, n_folds, seed)
    except ValueError as exc:
        logger.warning("no splits_final.json written: %s", exc)
        return []
    raw_dir = Path(raw_dir)
    paths = [raw_dir / SPLITS_FILENAME]
    if preprocessed_root is None:
        from nnunetv2.paths import nnUNet_preprocessed  # warns on import when the variables are unset

        preprocessed_root = nnUNet_preprocessed
    if preprocessed_root:
        paths.append(Path(preprocessed_root) / (dataset_name or raw_dir.name) / SPLITS_FILENAME)
    for path in paths:
        write_json_atomic(path, splits)
    logger.info("wrote %d-fold grouped splits to %s", len(splits), ", ".join(str(p) for p in paths))
    return paths
