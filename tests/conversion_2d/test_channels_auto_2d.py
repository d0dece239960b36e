"""``--channels auto`` is decided once per dataset, before converting (RGB files with equal channels)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import SimpleITK as sitk
from fake_inputs_2d import gradient, load_script, write_csv, write_jpeg, write_png

from segcls3d.conversion.images2d import channel_probe
from segcls3d.conversion.images2d.channel_probe import dataset_channels, is_colour_image

SHAPE = (10, 12)


@pytest.fixture(autouse=True)
def no_real_nnunet_folders(monkeypatch):
    for name in ("nnUNet_raw", "nnUNet_preprocessed", "nnUNet_results"):
        monkeypatch.delenv(name, raising=False)


def grey_looking_rgb() -> np.ndarray:
    """An RGB image whose three channels are equal (a blank slice saved as colour)."""
    g = gradient(SHAPE).astype(np.uint8)
    return np.stack([g, g, g], axis=2)


def colour_rgb() -> np.ndarray:
    g = gradient(SHAPE).astype(np.uint8)
    return np.stack([g, 255 - g, g // 2], axis=2)


def _folder(tmp_path, images: dict) -> list[str]:
    for name, array in images.items():
        write_png(tmp_path / "images" / f"{name}.png", array)
        write_png(tmp_path / "masks" / f"{name}.png", np.zeros(SHAPE, np.uint8))
    write_csv(tmp_path / "labels.csv", ["case_id", "lesion"], [[n, k % 2] for k, n in enumerate(images)])
    return ["--images", str(tmp_path / "images"), "--masks", str(tmp_path / "masks"), "--labels",
            str(tmp_path / "labels.csv"), "--name", "Dataset954_Auto", "-o", str(tmp_path / "out")]


def _channels(out, case) -> list[np.ndarray]:
    paths = sorted((out / "imagesTr").glob(f"{case}_*.nii.gz"))
    return [sitk.GetArrayFromImage(sitk.ReadImage(str(p)))[0] for p in paths]


def test_grey_looking_rgb_and_colour_rgb_both_get_three_channels(tmp_path):
    argv = _folder(tmp_path, {"a_blank": grey_looking_rgb(), "b_colour": colour_rgb()})
    assert load_script("Dataset_from_folder").main(argv) == 0  # used to stop: "different channel counts"
    out = tmp_path / "out"
    blank, colour = _channels(out, "a_blank"), _channels(out, "b_colour")
    assert len(blank) == len(colour) == 3
    assert np.array_equal(np.stack(blank, axis=2), grey_looking_rgb())
    assert np.array_equal(np.stack(colour, axis=2), colour_rgb())
    assert json.loads((out / "dataset.json").read_text())["channel_names"] == {"0": "R", "1": "G", "2": "B"}


def test_only_grey_looking_rgb_gives_one_channel(tmp_path):
    argv = _folder(tmp_path, {"a": grey_looking_rgb(), "b": grey_looking_rgb()})
    assert load_script("Dataset_from_folder").main(argv) == 0
    out = tmp_path / "out"
    assert [len(_channels(out, c)) for c in ("a", "b")] == [1, 1]
    assert np.array_equal(_channels(out, "a")[0], grey_looking_rgb()[..., 0])
    assert json.loads((out / "dataset.json").read_text())["channel_names"] == {"0": "image"}


def test_gray_mode_files_are_not_decoded_and_scan_stops_at_first_colour(tmp_path, monkeypatch):
    gray = write_png(tmp_path / "g.png", gradient(SHAPE).astype(np.uint8))
    colour = write_jpeg(tmp_path / "c.jpg", colour_rgb())
    decoded = []
    real = channel_probe.read_pil
    monkeypatch.setattr(channel_probe, "read_pil", lambda p: decoded.append(p.name) or real(p))
    assert dataset_channels([None, gray, colour, tmp_path / "never_looked_at.png"]) == "rgb"
    assert decoded == ["c.jpg"]  # the L-mode PNG was decided from its header
    assert not is_colour_image(tmp_path / "missing.png") and not is_colour_image(gray)


def test_rgb_nifti_with_equal_components_is_gray(tmp_path):
    arr = grey_looking_rgb()
    img = sitk.GetImageFromArray(arr, isVector=True)
    sitk.WriteImage(img, str(tmp_path / "rgb.nii.gz"))
    assert not is_colour_image(tmp_path / "rgb.nii.gz")
    sitk.WriteImage(sitk.GetImageFromArray(colour_rgb(), isVector=True), str(tmp_path / "col.nii.gz"))
    assert is_colour_image(tmp_path / "col.nii.gz")
