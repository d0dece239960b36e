"""input_checks: model spec without loading, per-case file problems, labelsTr folders, the output folder."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from segcls3d.errors import InputDataError, ModelFolderError
from segcls3d.predict.input_checks import ModelSpec, check_cases, check_output_folder, read_model_spec

DATA = Path(__file__).resolve().parents[1] / "data" / "old_checkpoints"
IMAGES = DATA / "imagesTs"
MODEL = DATA / "models" / "nnUNetTrainerSegCls_smoke__nnUNetPlans_cpu_tiny__3d_fullres"


def _spec(tmp_path: Path, patch_size=(24, 24, 24)) -> ModelSpec:
    return ModelSpec(tmp_path, ".nii.gz", 1, frozenset({0, 1}), patch_size)


def test_read_model_spec_reads_json_only(tmp_path):
    spec = read_model_spec(MODEL)
    assert (spec.file_ending, spec.num_channels, spec.patch_size) == (".nii.gz", 1, (24, 24, 24))
    assert spec.label_values == {0, 1}
    copy = tmp_path / "T__P__3d_lowres"
    copy.mkdir()
    shutil.copy(MODEL / "dataset.json", copy)
    plans = json.loads((MODEL / "plans.json").read_text())
    plans["configurations"]["3d_lowres"] = {"inherits_from": "3d_fullres"}
    (copy / "plans.json").write_text(json.dumps(plans))
    assert read_model_spec(copy).patch_size == (24, 24, 24)
    (copy / "plans.json").unlink()
    with pytest.raises(ModelFolderError, match="no plans.json"):
        read_model_spec(copy)


def test_bad_files_are_problems_of_their_case(bad_input_folder):
    cases, problems = check_cases(bad_input_folder, read_model_spec(MODEL))
    assert {k: [p.name for p in v] for k, v in cases.items()} == {"good": ["good_0000.nii.gz"],
                                                                 "plain": ["plain_0000.nii"]}
    assert set(problems) == {"cut50", "cut95", "four", "slice", "flat"}
    assert problems["cut50"].startswith("cut50_0000.nii.gz: file truncated: ")
    assert problems["cut95"].endswith(f" of {352 + 24 ** 3 * 4} bytes")
    assert "4D image of shape (24, 24, 24, 2)" in problems["four"] and "<case>_0001.nii.gz" in problems["four"]
    for case in ("slice", "flat"):
        assert "single-slice (2D) image" in problems[case] and "3D model (patch 24x24x24)" in problems[case]


def test_single_slice_is_fine_for_a_2d_model(tmp_path, bad_input_folder):
    cases, problems = check_cases(bad_input_folder, _spec(tmp_path, patch_size=(24, 24)))
    assert {"good", "plain", "slice", "flat"} <= set(cases) and "slice" not in problems


def test_labels_folder_is_refused_by_name(tmp_path):
    folder = tmp_path / "labelsTr"
    folder.mkdir()
    for i in range(3):
        image = sitk.ReadImage(str(IMAGES / f"synth_test_000{i}_0000.nii.gz"))
        mask = (sitk.GetArrayFromImage(image) > 0.5).astype(np.uint8)
        sitk.WriteImage(sitk.GetImageFromArray(mask), str(folder / f"synth_{i}.nii.gz"))
    with pytest.raises(InputDataError, match="labelsTr looks like a folder of label maps") as info:
        check_cases(folder, _spec(tmp_path))
    assert "<case>_0000.nii.gz" in str(info.value)
    shutil.copy(IMAGES / "synth_test_0000_0000.nii.gz", folder / "image.nii.gz")  # one real image: go on
    assert len(check_cases(folder, _spec(tmp_path))[0]) == 4
    (folder / "image.nii.gz").unlink()
    (folder / "synth_0.nii.gz").rename(folder / "synth_0_0000.nii.gz")  # nnU-Net names: the user meant it
    assert len(check_cases(folder, _spec(tmp_path))[0]) == 3


def test_output_folder_checks_create_nothing(tmp_path):
    check_output_folder(tmp_path / "new" / "deeper")
    assert not (tmp_path / "new").exists()
    check_output_folder(tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputDataError, match="output folder .*file is a file"):
        check_output_folder(tmp_path / "file")
    with pytest.raises(InputDataError, match="file/out cannot be created: .*file is a file"):
        check_output_folder(tmp_path / "file" / "out")
    with pytest.raises(InputDataError, match="output folder /proc/segcls3d_out is not writable"):
        check_output_folder("/proc/segcls3d_out")  # read-only even for root


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_folder(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(InputDataError, match="ro is not writable"):
            check_output_folder(ro)
        with pytest.raises(InputDataError, match=r"ro/sub is not writable \(cannot create it in"):
            check_output_folder(ro / "sub")
    finally:
        ro.chmod(0o755)
