"""Which cases are unannotated (mask all ``ignore``): read from nnU-Net's ``class_locations``, per case."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import torch
from batchgenerators.utilities.file_and_folder_operations import write_pickle

from segcls3d.training.segcls import nnUNetTrainerSegCls
from segcls3d.training.unannotated import annotated_classes_key, split_labeled_unlabeled


def _write_cases(folder, all_labels):
    key = annotated_classes_key(all_labels)
    some = np.zeros((5, 4), dtype=np.int64)
    cases = {"annotated": {1: some, key: some}, "background_only": {1: some[:0], key: some},
             "class_only": {1: some[:0], key: some[:0]}}
    for name, locations in cases.items():
        write_pickle({"class_locations": locations}, str(folder / f"{name}.pkl"))
    return list(cases)


def test_annotated_key_is_nnunets():
    """nnU-Net's preprocessor and loader key all annotated voxels as (-1, *all_labels)."""
    assert annotated_classes_key([0, 1, 2]) == (-1, 0, 1, 2)


def test_split_labeled_unlabeled(tmp_path):
    ids = _write_cases(tmp_path, [0, 1])
    labeled, unlabeled = split_labeled_unlabeled(str(tmp_path), ids, annotated_classes_key([0, 1]), True)
    assert labeled == ["annotated", "background_only"] and unlabeled == ["class_only"]
    assert split_labeled_unlabeled(str(tmp_path), ids, annotated_classes_key([0, 1]), False)[1] == []


def test_trainer_flags_the_batch_cases(tmp_path):
    ids = _write_cases(tmp_path, [0, 1])
    fake = SimpleNamespace(label_manager=SimpleNamespace(has_ignore_label=True, all_labels=[0, 1]),
                           preprocessed_dataset_folder=str(tmp_path))
    flags = nnUNetTrainerSegCls.unannotated_cases(fake, ["class_only", *ids, "class_only"])
    assert flags.tolist() == [True, False, False, True, True]
    assert fake._unannotated == {"annotated": False, "background_only": False, "class_only": True}
    fake.label_manager.has_ignore_label = False
    assert not nnUNetTrainerSegCls.unannotated_cases(fake, ids).any()
    assert nnUNetTrainerSegCls.unannotated_cases(fake, ids).dtype == torch.bool
