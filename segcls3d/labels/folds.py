"""Cross-validation folds stratified by the image-level labels (and grouped by patient where known).

nnU-Net's own split is random: with 6 positive cases among 60, a validation fold without any positive
case is likely, and its pseudo Dice and AUROC are then undefined for the whole training. Here the
strata are the cases' label patterns (one per combination of 0/1/unknown over the classes), so each
class with at least as many positive cases (groups) as folds has one in every validation fold.
"""
from __future__ import annotations

import logging
from typing import Mapping, Optional, Sequence

import numpy as np

logger = logging.getLogger(__name__)

#: nnU-Net reads its cross-validation folds from ``nnUNet_preprocessed/<dataset>/splits_final.json``
SPLITS_FILENAME = "splits_final.json"


def label_strata(labels: np.ndarray) -> list[str]:
    """One stratum name per row of an ``(n_cases, n_classes)`` label array: e.g. ``"1,0"``, ``"?,1"``.

    Example:
        >>> label_strata(np.array([[1.0, 0.0], [np.nan, 1.0]]))
        ['1,0', '?,1']
    """
    return [",".join("?" if np.isnan(v) else str(int(v)) for v in row) for row in np.asarray(labels, float)]


def stratified_folds(case_ids: Sequence[str], labels: np.ndarray, groups: Optional[Mapping[str, str]] = None,
                     n_folds: int = 5, seed: int = 12345) -> list[dict[str, list[str]]]:
    """nnU-Net's ``splits_final.json`` content: ``n_folds`` folds stratified by label pattern.

    ``labels`` has one row per case of ``case_ids``. With ``groups`` (case -> patient), all cases of a
    group share a fold (scikit-learn's StratifiedGroupKFold); without, each case is its own group
    (StratifiedKFold, which puts every stratum of at least ``n_folds`` cases into every validation
    fold; the grouped splitter balances strata greedily). Fewer groups than folds: fewer
    folds, with a warning. Deterministic for a seed; case lists are sorted.

    Raises:
        ValueError: fewer than two cases (groups), or ``labels`` does not match ``case_ids``.
    """
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold  # slow import, needed once

    ids = list(case_ids)
    labels = np.asarray(labels, dtype=float).reshape(len(ids), -1) if len(ids) else np.zeros((0, 1))
    if len(labels) != len(ids):
        raise ValueError(f"{len(labels)} label rows for {len(ids)} cases")
    group_of = [str((groups or {}).get(c, c)) for c in ids]
    n_groups = len(set(group_of))
    if n_groups < 2:
        raise ValueError(f"need at least two cases (patients) for cross-validation folds, got {n_groups}")
    folds = min(n_folds, n_groups)
    if folds < n_folds:
        logger.warning("only %d case group(s): writing %d folds instead of %d", n_groups, folds, n_folds)
    strata = label_strata(labels)
    names = sorted(set(strata))
    y = np.array([names.index(s) for s in strata])
    if np.bincount(y).max() < folds:  # every stratum smaller than the folds: nothing to stratify
        y = np.zeros_like(y)
    x = np.zeros((len(ids), 1))
    if groups:
        splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
        parts = splitter.split(x, y, groups=np.array(group_of))
    else:
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        parts = _quiet_split(splitter, x, y)
    result = []
    for train_idx, val_idx in parts:
        result.append({"train": sorted(ids[i] for i in train_idx), "val": sorted(ids[i] for i in val_idx)})
    return result


def _quiet_split(splitter, x: np.ndarray, y: np.ndarray):
    """StratifiedKFold's folds without its warning about strata smaller than the number of folds."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        return list(splitter.split(x, y))


def folds_without_positives(splits: Sequence[Mapping[str, Sequence[str]]], labels: Mapping[str, np.ndarray],
                            class_names: Sequence[str]) -> list[tuple[int, str]]:
    """``(fold, class)`` pairs whose validation part has no positive case of the class.

    Only classes with a positive case somewhere are reported; ``labels`` maps case -> label row.
    """
    positive_somewhere = {name for row in labels.values() for name, v in zip(class_names, row) if v == 1}
    missing = []
    for k, fold in enumerate(splits):
        rows = [labels[c] for c in fold["val"] if c in labels]
        for j, name in enumerate(class_names):
            if name in positive_somewhere and not any(r[j] == 1 for r in rows):
                missing.append((k, name))
    return missing
