"""Stratified ``splits_final.json`` for a preprocessed nnU-Net dataset (never overwriting an existing one).

Our trainers call :func:`write_stratified_splits` where nnU-Net would write its random split (no
``splits_final.json`` yet); ``segcls3d splits`` writes it ahead of training, optionally grouped by
patient. nnU-Net then reads the file as usual.
"""
from __future__ import annotations

import csv
import json
import logging
from pathlib import Path
from typing import Mapping, Optional, Sequence

from nnunetv2.training.dataloading.nnunet_dataset import infer_dataset_class
from nnunetv2.utilities.plans_handling.plans_handler import PlansManager

from segcls3d.errors import LabelFileError, ModelFolderError
from segcls3d.io import write_json_atomic
from segcls3d.labels import CaseLabels, class_definitions
from segcls3d.labels.folds import SPLITS_FILENAME, folds_without_positives, stratified_folds
from segcls3d.model.class_channels import class_channel_groups
from segcls3d.training.case_labels import read_case_labels

logger = logging.getLogger(__name__)

#: nnU-Net's split: 5 folds, seed 12345 (``generate_crossval_split``); ours keep both
N_FOLDS, SEED = 5, 12345


def write_stratified_splits(splits_file: Path, identifiers: Sequence[str], labels: CaseLabels,
                            groups: Optional[Mapping[str, str]] = None, n_folds: int = N_FOLDS, seed: int = SEED,
                            overwrite: bool = False) -> Optional[list[dict]]:
    """Write folds stratified by ``labels`` (grouped by ``groups``) to ``splits_file``; None if it exists.

    Raises:
        ValueError: fewer than two cases (groups).
    """
    if splits_file.is_file() and not overwrite:
        return None
    ids = sorted(identifiers)
    splits = stratified_folds(ids, labels.batch(ids), groups, n_folds, seed)
    write_json_atomic(splits_file, splits)
    logger.info("wrote %s: %d folds stratified by the image-level labels%s", splits_file, len(splits),
                " and grouped by patient" if groups else "")
    for fold, name in folds_without_positives(splits, {c: labels[c] for c in ids}, labels.classes):
        logger.warning("fold %d: no positive case of class '%s' in its validation part", fold, name)
    return splits


def read_groups(path: Path, identifiers: Sequence[str]) -> dict[str, str]:
    """``{case_id: group}`` from a CSV with columns ``case_id`` and ``group`` (e.g. the patient id).

    Raises:
        LabelFileError: missing file or columns, or a training case without a row.
    """
    if not Path(path).is_file():
        raise LabelFileError(f"{path}: group file not found")
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"case_id", "group"} <= set(reader.fieldnames):
            raise LabelFileError(f"{path}: needs the columns case_id and group, found {reader.fieldnames}")
        groups = {row["case_id"].strip(): row["group"].strip() for row in reader}
    missing = sorted(set(identifiers) - set(groups))
    if missing:
        raise LabelFileError(f"{path}: no group for training case(s) {missing[:10]}"
                             + (f" and {len(missing) - 10} more" if len(missing) > 10 else ""))
    return groups


def write_dataset_splits(preprocessed_dataset: Path, plans_identifier: str = "nnUNetPlans",
                         configuration: Optional[str] = None, groups_csv: Optional[Path] = None,
                         n_folds: int = N_FOLDS, seed: int = SEED, overwrite: bool = False) -> tuple[Path, bool]:
    """``segcls3d splits``: stratified folds for a planned and preprocessed dataset; (file, written).

    The cases and (without a labels CSV) their labels come from the preprocessed data of
    ``configuration`` (default: the first preprocessed one of the plans), as the trainer sees them.

    Raises:
        ModelFolderError: no plans or no preprocessed data.
        LabelFileError: bad labels or group file.
    """
    folder = Path(preprocessed_dataset)
    splits_file = folder / SPLITS_FILENAME
    if splits_file.is_file() and not overwrite:
        return splits_file, False
    plans_file = folder / f"{plans_identifier}.json"
    if not plans_file.is_file() or not (folder / "dataset.json").is_file():
        raise ModelFolderError(f"{plans_file} or dataset.json not found: run nnUNetv2_plan_and_preprocess first")
    plans = PlansManager(str(plans_file))
    dataset_json = json.loads((folder / "dataset.json").read_text())
    configurations = [configuration] if configuration else list(plans.available_configurations)
    data_folders = [folder / plans.get_configuration(c).data_identifier for c in configurations]
    data_folder = next((f for f in data_folders if f.is_dir() and any(f.iterdir())), None)
    if data_folder is None:
        raise ModelFolderError(f"{folder}: no preprocessed data for {configurations}; run nnUNetv2_preprocess first")
    identifiers = infer_dataset_class(str(data_folder)).get_identifiers(str(data_folder))
    classes = class_definitions(dataset_json)
    label_manager = plans.get_label_manager(dataset_json)
    labels, _ = read_case_labels(folder.name, str(data_folder), identifiers, classes,
                                 class_channel_groups(classes, label_manager), label_manager.has_regions)
    groups = read_groups(groups_csv, identifiers) if groups_csv else None
    write_stratified_splits(splits_file, identifiers, labels, groups, n_folds, seed, overwrite=True)
    return splits_file, True
