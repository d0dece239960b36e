"""Image-level labels of the preprocessed training cases: from classification_labels.csv or the masks.

The CSV is looked up in ``nnUNet_raw/<dataset>/`` and then in ``nnUNet_preprocessed/<dataset>/``.
Without one, a case is positive for a class iff its mask contains one of the class's labels (the
paper defines y from S); a case whose mask is all ``ignore`` has unknown labels.
"""
from __future__ import annotations

from os.path import join
from pathlib import Path
from typing import Mapping, Optional, Sequence

import numpy as np
from batchgenerators.utilities.file_and_folder_operations import load_pickle
from nnunetv2.paths import nnUNet_preprocessed, nnUNet_raw

from segcls3d.errors import LabelFileError
from segcls3d.labels import LABELS_FILENAME, CaseLabels, ClassDefinition


def find_labels_csv(dataset_name: str) -> Optional[Path]:
    """classification_labels.csv of the dataset in nnUNet_raw, else in nnUNet_preprocessed, else None."""
    for base in (nnUNet_raw, nnUNet_preprocessed):
        if base.is_set() and (Path(str(base)) / dataset_name / LABELS_FILENAME).is_file():
            return Path(str(base)) / dataset_name / LABELS_FILENAME
    return None


def read_case_labels(dataset_name: str, preprocessed_folder: str, identifiers: Sequence[str],
                     classes: Sequence[ClassDefinition], channel_groups: Mapping[str, Sequence[int]],
                     has_regions: bool) -> tuple[CaseLabels, Optional[Path]]:
    """The training cases' labels from the dataset's CSV, else from the masks; also the CSV used (or None)."""
    csv = find_labels_csv(dataset_name)
    if csv is not None:
        return labels_from_csv(csv, identifiers, [c.name for c in classes]), csv
    return labels_from_masks(preprocessed_folder, identifiers, classes, channel_groups, has_regions), None


def labels_from_csv(csv: Path, identifiers: Sequence[str], class_names: Sequence[str]) -> CaseLabels:
    """Read and validate the CSV; every training case must have a row.

    Raises:
        LabelFileError: bad values or ids (see CaseLabels), or training cases without a row.
    """
    if (csv.parent / "imagesTr").is_dir():  # the raw dataset: also check ids against its images
        labels = CaseLabels.from_raw_dataset(csv.parent, class_names)
    else:
        labels = CaseLabels.load(csv, class_names)
    missing = sorted(set(identifiers) - set(labels.case_ids))
    if missing:
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        raise LabelFileError(f"{csv}: no row for training case(s) {missing[:10]}{more}")
    return labels


def labels_from_masks(preprocessed_folder: str, identifiers: Sequence[str], classes: Sequence[ClassDefinition],
                      channel_groups: Mapping[str, Sequence[int]], has_regions: bool) -> CaseLabels:
    """Labels from the ``class_locations`` nnU-Net's preprocessor stored for each case."""
    names = [c.name for c in classes]
    table = {}
    for case in identifiers:
        locations = class_locations(preprocessed_folder, case)
        unannotated = any(isinstance(k, tuple) and k and k[0] == -1 and not len(v) for k, v in locations.items())
        if unannotated:  # all voxels are `ignore`: the mask says nothing about the classes
            table[case] = [np.nan] * len(names)
            continue
        table[case] = [_present(c, locations, has_regions) if c.name in channel_groups else np.nan for c in classes]
    return CaseLabels(table, names, source="masks")


def class_locations(preprocessed_folder: str, case: str) -> dict:
    """The foreground locations nnU-Net's preprocessor stored for ``case`` (``{label or region: voxels}``)."""
    return load_pickle(join(preprocessed_folder, case + ".pkl")).get("class_locations") or {}


def _present(definition: ClassDefinition, locations: Mapping, has_regions: bool) -> float:
    """1.0 if any sampled location belongs to the class (a label of it, or exactly its region)."""
    ids = set(definition.label_ids)
    for key, locs in locations.items():
        if isinstance(key, (tuple, list)) and key and key[0] == -1:  # nnU-Net's "all annotated voxels" key
            continue
        key_ids = set(key) if isinstance(key, (tuple, list)) else {key}
        if len(locs) and (key_ids == ids if has_regions else bool(key_ids & ids)):
            return 1.0
    return 0.0
