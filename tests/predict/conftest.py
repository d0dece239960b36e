"""Fixtures of the predict tests: real input files with real faults (cut short, 4D, single slice)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import SimpleITK as sitk

OLD_CHECKPOINTS = Path(__file__).resolve().parents[1] / "data" / "old_checkpoints"


@pytest.fixture
def bad_input_folder(tmp_path) -> Path:
    """Cases good (.nii.gz), plain (.nii), cut50/cut95 (gzip cut to 50%/95%), four (4D), slice, flat (2D)."""
    images = OLD_CHECKPOINTS / "imagesTs"
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(images / "synth_test_0000_0000.nii.gz", folder / "good_0000.nii.gz")
    image = sitk.ReadImage(str(images / "synth_test_0001_0000.nii.gz"))
    sitk.WriteImage(image, str(folder / "plain_0000.nii"))
    array = sitk.GetArrayFromImage(image)
    sitk.WriteImage(sitk.GetImageFromArray(array[12:13]), str(folder / "slice_0000.nii.gz"))
    sitk.WriteImage(sitk.GetImageFromArray(array[12]), str(folder / "flat_0000.nii.gz"))
    sitk.WriteImage(sitk.JoinSeries([image, image]), str(folder / "four_0000.nii.gz"))
    data = (images / "synth_test_0002_0000.nii.gz").read_bytes()
    (folder / "cut50_0000.nii.gz").write_bytes(data[: len(data) // 2])
    (folder / "cut95_0000.nii.gz").write_bytes(data[: int(len(data) * 0.95)])
    return folder
