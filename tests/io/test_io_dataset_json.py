"""Tests of write_dataset_json: nnU-Net's layout, written atomically."""
from __future__ import annotations

import json

from segcls3d.io.dataset_json import write_dataset_json


def test_nnunet_layout_and_extra_fields(tmp_path):
    out = tmp_path / "Dataset900_X"
    path = write_dataset_json(out, {0: "CT", 1: "PET"}, {"background": 0, "lesion": 1.0}, 12, ".nii.gz",
                              dataset_name="Dataset900_X", license="CC0", segcls3d={"classes": {"lesion": [1]}})
    assert path == out / "dataset.json"
    assert json.loads(path.read_text()) == {
        "channel_names": {"0": "CT", "1": "PET"},
        "labels": {"background": 0, "lesion": 1},
        "numTraining": 12,
        "file_ending": ".nii.gz",
        "licence": "CC0",
        "converted_by": "Please enter your name, especially when sharing datasets with others in a common "
                        "infrastructure!",
        "name": "Dataset900_X",
        "segcls3d": {"classes": {"lesion": [1]}},
    }
    assert sorted(p.name for p in out.iterdir()) == ["dataset.json"]  # no temporary folder left


def test_replaces_an_existing_file_and_keeps_the_inputs(tmp_path):
    channels, labels = {0: "CT"}, {"background": 0, "lesion": 1}
    write_dataset_json(tmp_path, channels, labels, 1, ".png")
    write_dataset_json(tmp_path, channels, labels, 3, ".png")
    assert json.loads((tmp_path / "dataset.json").read_text())["numTraining"] == 3
    assert channels == {0: "CT"}  # nnU-Net's function edits its arguments in place; ours passes copies
