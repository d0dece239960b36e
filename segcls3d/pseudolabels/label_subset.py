"""Training with labels on a subset of the cases: pick the subset, make it an nnU-Net fold, hide the other masks.

Hooper et al. (2023), Figure 7 / Table A8: a fraction of the training images carries a mask (and its
class label); the rest is unlabeled (semi-supervised) or keeps only its class label (boosted
semi-supervised). :func:`labeled_subset` draws that subset per seed, stratified by class so that
every subset holds both classes; :func:`register_split` adds it to ``splits_final.json`` as one more
fold (the holdout validation cases unchanged), so a teacher and a classifier train on it with
``nnUNetv2_train DATASET CONFIG k`` from the same preprocessed data; :func:`write_partial_source`
writes the raw dataset in which only the subset keeps its masks, the input of ``segcls3d pseudolabel``.

Example:
    >>> ids = [f"c{i}" for i in range(10)]
    >>> labeled_subset(ids, {c: i % 2 for i, c in enumerate(ids)}, 0.4, seed=0)
    ['c3', 'c6', 'c8', 'c9']
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Mapping, Optional, Sequence, Union

import numpy as np

from segcls3d.errors import InputDataError
from segcls3d.io import write_json_atomic, write_text_atomic
from segcls3d.labels import LABELS_FILENAME, write_case_labels
from segcls3d.pseudolabels.dataset_files import link_or_copy

PathLike = Union[str, Path]


def n_labeled(n_cases: int, fraction: float) -> int:
    """Number of labeled cases for ``fraction`` of ``n_cases`` (at least 2, at most all).

    Raises:
        ValueError: fraction outside (0, 1].
    """
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"label fraction must be in (0, 1], got {fraction}")
    return min(n_cases, max(2, int(round(fraction * n_cases))))


def labeled_subset(case_ids: Sequence[str], labels: Mapping[str, Optional[float]], fraction: float,
                   seed: int) -> list[str]:
    """A class-stratified random subset of ``case_ids`` with ``n_labeled(len, fraction)`` cases, sorted.

    Each class present gets its proportional share (at least one case); cases with an unknown label
    form a stratum of their own. Deterministic for a given seed.

    Raises:
        ValueError: invalid fraction, or no cases.
    """
    ids = sorted(case_ids)
    if not ids:
        raise ValueError("no training cases to draw a labeled subset from")
    k = n_labeled(len(ids), fraction)
    if k == len(ids):
        return ids
    strata: dict[str, list[str]] = {}
    for case in ids:
        value = labels.get(case)
        key = "unknown" if value is None or (isinstance(value, float) and math.isnan(value)) else str(int(value))
        strata.setdefault(key, []).append(case)
    shares = {key: max(1, int(round(k * len(members) / len(ids)))) for key, members in strata.items()}
    while sum(shares.values()) > k:  # rounding: take from the largest share that can spare one
        key = max((s for s in shares if shares[s] > 1), key=lambda s: shares[s], default=None)
        if key is None:
            break
        shares[key] -= 1
    while sum(shares.values()) < k:
        key = max((s for s in shares if shares[s] < len(strata[s])), key=lambda s: len(strata[s]) - shares[s])
        shares[key] += 1
    rng = np.random.default_rng(seed)
    chosen: list[str] = []
    for key in sorted(strata):
        members = strata[key]
        picks = rng.choice(len(members), size=min(shares[key], len(members)), replace=False)
        chosen.extend(members[i] for i in sorted(picks))
    return sorted(chosen)


def register_split(splits_file: PathLike, train: Sequence[str], val: Sequence[str]) -> int:
    """Fold index of the split (``train``, ``val``) in nnU-Net's ``splits_final.json``, appended if new.

    Existing folds are never changed, so models trained on them stay valid; a split equal to an
    existing one (as sets) reuses its index.

    Raises:
        InputDataError: the file is missing or unreadable (plan and preprocess the dataset first).
    """
    path = Path(splits_file)
    try:
        splits = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputDataError(f"{path}: cannot read nnU-Net's splits ({exc}); plan and preprocess the dataset "
                             "first") from None
    if not isinstance(splits, list):
        raise InputDataError(f"{path}: expected a list of {{'train': [...], 'val': [...]}} entries")
    wanted = (sorted(train), sorted(val))
    for index, entry in enumerate(splits):
        if (sorted(entry.get("train", [])), sorted(entry.get("val", []))) == wanted:
            return index
    splits.append({"train": wanted[0], "val": wanted[1]})
    write_json_atomic(path, splits)
    return len(splits) - 1


def write_partial_source(raw: PathLike, out_dir: PathLike, keep_masks: Sequence[str],
                         class_labels: Mapping[str, Mapping[str, Optional[float]]], classes: Sequence[str]) -> Path:
    """A raw dataset folder where only ``keep_masks`` training cases keep ``labelsTr`` masks.

    Images (training and test) and test masks are hard-linked (copied across file systems); the
    classification CSV is ``class_labels`` (None = unknown). Cases without a mask are the ones
    ``segcls3d pseudolabel`` labels. A second call with another subset removes the masks no longer kept.

    Raises:
        InputDataError: a case to keep has no mask in ``raw``.
    """
    raw, out_dir = Path(raw), Path(out_dir)
    keep = set(keep_masks)
    for sub in ("imagesTr", "imagesTs", "labelsTs"):
        if (raw / sub).is_dir():
            (out_dir / sub).mkdir(parents=True, exist_ok=True)
            for f in sorted((raw / sub).iterdir()):
                if f.is_file():
                    link_or_copy(f, out_dir / sub / f.name)
    (out_dir / "labelsTr").mkdir(parents=True, exist_ok=True)
    ending = json.loads((raw / "dataset.json").read_text())["file_ending"]
    for f in sorted((raw / "labelsTr").iterdir()):
        case = f.name[: -len(ending)] if f.name.endswith(ending) else None
        target = out_dir / "labelsTr" / f.name
        if case in keep and not target.exists():
            link_or_copy(f, target)
        elif case not in keep and target.exists():
            target.unlink()
    missing = sorted(keep - {f.name[: -len(ending)] for f in (out_dir / "labelsTr").iterdir()})
    if missing:
        raise InputDataError(f"{raw}: no mask in labelsTr for labeled case(s) {missing[:5]}")
    write_case_labels(out_dir / LABELS_FILENAME, class_labels, classes)
    write_text_atomic(out_dir / "dataset.json", (raw / "dataset.json").read_text())
    return out_dir
