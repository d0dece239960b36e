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
from segcls3d.labels.folds import SPLITS_FILENAME

logger = logging.getLogger(__name__)


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


def grouped_subset(case_ids: Sequence[str], groups: Mapping[str, str], labels: Mapping[str, Optional[float]],
                   fraction: float, seed: int = 0) -> list[str]:
    """A random subset of about ``fraction`` of the cases, whole groups only, stratified by class.

    Each group (patient) is assigned the majority label of its cases; within each label, groups are
    drawn in a seeded random order until the label's share of cases (at least one group) is reached.
    Sorted; deterministic for a seed.

    Example:
        >>> ids = [f"c{i}" for i in range(8)]
        >>> groups = {c: f"p{i // 2}" for i, c in enumerate(ids)}
        >>> labels = {c: float(i < 4) for i, c in enumerate(ids)}
        >>> len(grouped_subset(ids, groups, labels, 0.5, seed=0))
        4

    Raises:
        ValueError: ``fraction`` not in (0, 1].
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    members: dict[str, list[str]] = {}
    for case in sorted(case_ids):
        members.setdefault(groups.get(case, case), []).append(case)
    strata: dict[str, list[str]] = {}
    for group, cases in sorted(members.items()):
        values = [labels.get(c) for c in cases]
        known = [int(v) for v in values if v is not None and not np.isnan(v)]
        key = str(max(set(known), key=known.count)) if known else "unknown"
        strata.setdefault(key, []).append(group)
    rng = np.random.default_rng(seed)
    chosen: list[str] = []
    for key in sorted(strata):
        order = [strata[key][i] for i in rng.permutation(len(strata[key]))]
        target = fraction * sum(len(members[g]) for g in order)
        taken = 0
        for group in order:
            if taken >= target and taken > 0:
                break
            chosen += members[group]
            taken += len(members[group])
    return sorted(chosen)


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
    """Write patient-grouped random splits into ``raw_dir`` and, if a preprocessed root is known, there too.

    ``preprocessed_root`` defaults to ``nnunetv2.paths.nnUNet_preprocessed`` (may be unset).
    Returns the written paths (empty with a warning when there are too few groups).
    """
    try:
        splits = grouped_splits(case_ids, groups, n_folds, seed)
    except ValueError as exc:
        logger.warning("no splits_final.json written: %s", exc)
        return []
    return write_split_list(raw_dir, splits, dataset_name=dataset_name, preprocessed_root=preprocessed_root)


def write_split_list(raw_dir: Path, splits: Sequence[Mapping[str, Sequence[str]]], *,
                     dataset_name: Optional[str] = None, preprocessed_root: Optional[Path | str] = None) -> list[Path]:
    """Write given ``[{"train": [...], "val": [...]}, ...]`` as splits_final.json (raw and preprocessed folders).

    Raises:
        ValueError: a fold has a case in both its train and val lists.
    """
    for k, fold in enumerate(splits):
        both = set(fold["train"]) & set(fold["val"])
        if both:
            raise ValueError(f"fold {k}: case(s) {sorted(both)[:5]} in both train and val")
    raw_dir = Path(raw_dir)
    paths = [raw_dir / SPLITS_FILENAME]
    if preprocessed_root is None:
        from nnunetv2.paths import nnUNet_preprocessed  # warns on import when the variables are unset

        preprocessed_root = nnUNet_preprocessed
    if preprocessed_root:
        paths.append(Path(preprocessed_root) / (dataset_name or raw_dir.name) / SPLITS_FILENAME)
    data = [{"train": sorted(f["train"]), "val": sorted(f["val"])} for f in splits]
    for path in paths:
        write_json_atomic(path, data)
    logger.info("wrote %d-fold splits to %s", len(data), paths[0])
    if len(paths) > 1:
        logger.info("also wrote %s (outside the output folder: $nnUNet_preprocessed is where nnU-Net reads the "
                    "splits; unset nnUNet_preprocessed to write only the raw folder's copy)", paths[1])
    return paths
