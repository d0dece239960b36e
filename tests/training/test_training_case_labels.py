"""Image-level labels derived from nnU-Net's preprocessed class locations (no classification_labels.csv)."""
from __future__ import annotations

import math

import numpy as np
from batchgenerators.utilities.file_and_folder_operations import write_pickle

from segcls3d.labels import ClassDefinition
from segcls3d.training.case_labels import labels_from_masks

LOCS = np.zeros((3, 4), dtype=np.int64)  # three sampled voxel locations
NONE = np.zeros((0, 4), dtype=np.int64)


def test_labels_from_masks_with_an_ignore_label(tmp_path):
    """Labels 1 (lesion), 2 (other), ignore 3: nnU-Net also stores the key (-1, 1, 2) of all annotated voxels."""
    cases = {
        "positive": {1: LOCS, 2: NONE, (-1, 1, 2): LOCS},
        "negative": {1: NONE, 2: LOCS, (-1, 1, 2): LOCS},  # annotated, but no lesion: label 0
        "unannotated": {1: NONE, 2: NONE, (-1, 1, 2): NONE},  # all ignore: unknown
    }
    for case, locations in cases.items():
        write_pickle({"class_locations": locations}, str(tmp_path / f"{case}.pkl"))
    classes = [ClassDefinition("lesion", (1,)), ClassDefinition("other", (2,)), ClassDefinition("score_only", ())]
    labels = labels_from_masks(str(tmp_path), list(cases), classes, {"lesion": [1], "other": [2]}, has_regions=False)
    table = {case: labels.batch([case])[0].tolist() for case in cases}
    assert table["positive"][:2] == [1.0, 0.0] and math.isnan(table["positive"][2])
    assert table["negative"][:2] == [0.0, 1.0]
    assert all(math.isnan(v) for v in table["unannotated"])
