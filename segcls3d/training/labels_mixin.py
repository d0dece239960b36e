"""Mixin giving an nnU-Net trainer the image-level labels of each sampled case."""
from __future__ import annotations

import logging
import shutil
from copy import deepcopy
from os.path import join
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from segcls3d.labels import LABELS_FILENAME, CaseLabels, class_definitions
from segcls3d.model.class_channels import class_channel_groups

logger = logging.getLogger(__name__)
CLASSES_KEY = "segcls3d_classes"


def store_classes(plans: dict, configuration: str, dataset_json: dict) -> dict:
    """Return a copy of ``plans`` whose configuration records the image-level class names.

    The trainer saves its plans next to the checkpoint, so ``build_network_architecture`` (a
    staticmethod that only sees the plans) can size classification heads at inference time too.
    """
    plans = deepcopy(plans)
    names = [c.name for c in class_definitions(dataset_json)]
    plans["configurations"][configuration][CLASSES_KEY] = names
    return plans


class CaseLabelsMixin:
    """Loads classification_labels.csv once and serves labels per batch key.

    Looks for the CSV in ``nnUNet_raw/<dataset>/`` and then in ``nnUNet_preprocessed/<dataset>/``.
    If there is none, labels are derived from the masks (a case is positive for a class iff its
    ground truth contains one of the class's labels), as the paper defines y from S. A copy of
    the labels used is written next to the checkpoints.
    """

    extra_logging_keys: tuple[str, ...] = ()

    def _segcls_setup(self, dataset_json: dict) -> None:
        self.class_definitions = class_definitions(dataset_json)
        self.class_names = [c.name for c in self.class_definitions]
        self.channel_groups = class_channel_groups(self.class_definitions, self.label_manager)
        self.case_labels: Optional[CaseLabels] = None
        for key in self.extra_logging_keys:
            self.logger.local_logger.my_fantastic_logging.setdefault(key, [])

    def _labels_csv(self) -> Optional[Path]:
        from nnunetv2.paths import nnUNet_preprocessed, nnUNet_raw

        name = self.plans_manager.dataset_name
        for base in (nnUNet_raw, nnUNet_preprocessed):
            if base.is_set() and (Path(str(base)) / name / LABELS_FILENAME).is_file():
                return Path(str(base)) / name / LABELS_FILENAME
        return None

    def load_case_labels(self) -> CaseLabels:
        """Read (once) and validate the labels of all preprocessed training cases."""
        if self.case_labels is not None:
            return self.case_labels
        identifiers = self.dataset_class.get_identifiers(self.preprocessed_dataset_folder)
        csv = self._labels_csv()
        if csv is not None:
            if (csv.parent / "imagesTr").is_dir():  # the raw dataset: also check ids against its images
                labels = CaseLabels.from_raw_dataset(csv.parent, self.class_names)
            else:
                labels = CaseLabels.load(csv, self.class_names)
            missing = sorted(set(identifiers) - set(labels.case_ids))
            if missing:
                from segcls3d.errors import LabelFileError

                raise LabelFileError(
                    f"{csv}: no row for training case(s) {missing[:10]}"
                    + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
                )
            self.print_to_log_file(f"segcls3d: image-level labels from {csv}")
        else:
            labels = self._labels_from_masks(identifiers)
            self.print_to_log_file(
                f"segcls3d: no {LABELS_FILENAME} found for {self.plans_manager.dataset_name}; "
                "image-level labels derived from the masks"
            )
        self.case_labels = labels
        if self.local_rank == 0 and self.output_folder_base is not None:
            Path(self.output_folder_base).mkdir(parents=True, exist_ok=True)
            if csv is not None:
                shutil.copyfile(csv, join(self.output_folder_base, LABELS_FILENAME))
        return labels

    def _labels_from_masks(self, identifiers) -> CaseLabels:
        from batchgenerators.utilities.file_and_folder_operations import load_pickle

        table = {}
        for case in identifiers:
            props = load_pickle(join(self.preprocessed_dataset_folder, case + ".pkl"))
            locations = props.get("class_locations", {})
            unannotated = any(isinstance(k, tuple) and k and k[0] == -1 and not len(v) for k, v in locations.items())
            if unannotated:  # all voxels are `ignore`: the mask says nothing about the classes
                table[case] = [np.nan] * len(self.class_names)
                continue
            row = []
            for name in self.class_names:
                ids = self.channel_groups.get(name)
                if ids is None:
                    row.append(np.nan)
                    continue
                present = False
                for key, locs in locations.items():
                    key_ids = set(key) if isinstance(key, (tuple, list)) else {key}
                    if len(locs) and self._key_in_class(key_ids, name):
                        present = True
                row.append(1.0 if present else 0.0)
            table[case] = row
        return CaseLabels(table, self.class_names, source="masks")

    def _key_in_class(self, key_ids: set, name: str) -> bool:
        definition = next(c for c in self.class_definitions if c.name == name)
        return bool(key_ids & set(definition.label_ids)) if not self.label_manager.has_regions \
            else key_ids == set(definition.label_ids)

    def batch_case_labels(self, keys) -> torch.Tensor:
        """(B, n_classes) float tensor of the case labels of a batch (NaN = unknown)."""
        return torch.from_numpy(self.load_case_labels().batch([str(k) for k in keys]))
