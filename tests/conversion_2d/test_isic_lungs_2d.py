"""ISIC 2017 and chest X-ray lung converters run for real on tiny PNG/JPEG inputs."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from fake_inputs_2d import box_mask, gradient, load_script, write_csv, write_jpeg, write_png

from segcls3d.labels import CaseLabels, load_class_definitions

SHAPE = (12, 16)
LESIONS = {
    "ISIC_0000001": box_mask(SHAPE, 2, 2, 5, 6),   # melanoma
    "ISIC_0000002": box_mask(SHAPE, 4, 5, 6, 7),   # seborrheic keratosis
    "ISIC_0000003": box_mask(SHAPE, 1, 9, 4, 4),   # nevus
}
DIAGNOSES = {"ISIC_0000001": ("1.0", "0.0"), "ISIC_0000002": ("0.0", "1.0"), "ISIC_0000003": ("0.0", "0.0")}


@pytest.fixture(autouse=True)
def no_real_nnunet_folders(monkeypatch):
    """Never write into a user's real nnU-Net folders while testing."""
    for name in ("nnUNet_raw", "nnUNet_preprocessed", "nnUNet_results"):
        monkeypatch.delenv(name, raising=False)


def make_isic(root: Path) -> None:
    for k, case in enumerate(LESIONS):
        colour = np.stack([gradient(SHAPE) + k, np.full(SHAPE, 40 * k), 200 - gradient(SHAPE)], axis=2)
        write_jpeg(root / "train" / f"{case}.jpg", colour.astype(np.uint8))
        write_png(root / "train" / f"{case}_superpixels.png", np.zeros(SHAPE + (3,), np.uint8))
        write_png(root / "masks" / f"{case}_segmentation.png", LESIONS[case] * 255)
    write_csv(root / "gt.csv", ["image_id", "melanoma", "seborrheic_keratosis"],
              [[case, *DIAGNOSES[case]] for case in LESIONS])
    write_jpeg(root / "test" / "ISIC_0000010.jpg", np.full(SHAPE + (3,), 90, np.uint8))
    write_png(root / "test_masks" / "ISIC_0000010_segmentation.png", box_mask(SHAPE, 0, 0, 3, 3) * 255)
    write_csv(root / "test_gt.csv", ["image_id", "melanoma", "seborrheic_keratosis"], [["ISIC_0000010", 1.0, 0.0]])


def isic_argv(root: Path, out: Path) -> list[str]:
    return ["--images", str(root / "train"), "--masks", str(root / "masks"), "--labels", str(root / "gt.csv"),
            "--test-images", str(root / "test"), "--test-masks", str(root / "test_masks"),
            "--test-labels", str(root / "test_gt.csv"), "-o", str(out)]


def label_array(out: Path, case: str, folder: str = "labelsTr") -> np.ndarray:
    return sitk.GetArrayFromImage(sitk.ReadImage(str(out / folder / f"{case}.nii.gz")))[0]


def test_isic_melanoma_positive_only_rgb(tmp_path):
    make_isic(tmp_path)
    out = tmp_path / "Dataset613_ISIC2017"
    assert load_script("Dataset613_ISIC2017").main(isic_argv(tmp_path, out)) == 0
    assert sorted(p.name for p in (out / "imagesTr").iterdir()) == [
        f"{case}_{k:04d}.nii.gz" for case in LESIONS for k in range(3)]  # superpixels ignored, RGB kept
    assert np.array_equal(label_array(out, "ISIC_0000001"), LESIONS["ISIC_0000001"])
    assert label_array(out, "ISIC_0000002").sum() == 0 and label_array(out, "ISIC_0000003").sum() == 0
    assert label_array(out, "ISIC_0000010", "labelsTs").sum() == 9
    dataset = json.loads((out / "dataset.json").read_text())
    assert dataset["labels"] == {"background": 0, "melanoma": 1}
    assert dataset["segcls3d"]["classes"] == {"melanoma": [1], "seborrheic_keratosis": [], "nevus": []}
    labels = CaseLabels.from_raw_dataset(out)
    assert labels.column("nevus") == {"ISIC_0000001": 0.0, "ISIC_0000002": 0.0, "ISIC_0000003": 1.0,
                                      "ISIC_0000010": 0.0}
    assert labels.column("melanoma")["ISIC_0000010"] == 1.0


def test_isic_three_class_mask(tmp_path):
    make_isic(tmp_path)
    out = tmp_path / "out3"
    assert load_script("Dataset613_ISIC2017").main(isic_argv(tmp_path, out) + ["--three-class-mask", "-np", "2"]) == 0
    for value, case in enumerate(LESIONS, start=1):  # converted by two worker processes
        assert np.array_equal(label_array(out, case), LESIONS[case] * value)
    assert not list(out.glob(".cases2d_*"))  # the temporary case table is removed
    definitions = load_class_definitions(out / "dataset.json")
    assert [(d.name, d.label_ids) for d in definitions] == [("melanoma", (1,)), ("seborrheic_keratosis", (2,)),
                                                           ("nevus", (3,))]


def make_montgomery(root: Path) -> None:
    for case in ("MCUCXR_0001_0", "MCUCXR_0002_1", "MCUCXR_0003_0"):
        write_png(root / "CXR_png" / f"{case}.png", np.stack([gradient(SHAPE).astype(np.uint8)] * 3, axis=2))
    for case in ("MCUCXR_0001_0", "MCUCXR_0002_1"):
        write_png(root / "leftMask" / f"{case}.png", box_mask(SHAPE, 2, 1, 8, 5) * 255)
        write_png(root / "rightMask" / f"{case}.png", box_mask(SHAPE, 2, 10, 8, 5) * 255)


def test_lungs_left_right_merged_and_name_labels(tmp_path, capsys):
    make_montgomery(tmp_path)
    out = tmp_path / "Dataset614_ChestXrayLungs"
    script = load_script("Dataset614_ChestXrayLungs")
    argv = ["--images", str(tmp_path / "CXR_png"), "--masks", str(tmp_path / "leftMask"),
            "--masks", str(tmp_path / "rightMask"), "-o", str(out)]
    assert script.main(argv) == 1  # MCUCXR_0003_0 has no lung mask: reported and skipped
    assert "skipped MCUCXR_0003_0" in capsys.readouterr().err
    lung = label_array(out, "MCUCXR_0001_0")
    assert lung.sum() == 2 * 8 * 5 and set(np.unique(lung)) == {0, 1}
    image = sitk.ReadImage(str(out / "imagesTr" / "MCUCXR_0001_0_0000.nii.gz"))  # RGB with equal channels -> 1
    assert image.GetSize() == (16, 12, 1) and not (out / "imagesTr" / "MCUCXR_0001_0_0001.nii.gz").exists()
    dataset = json.loads((out / "dataset.json").read_text())
    assert dataset["labels"] == {"background": 0, "lung": 1}
    assert dataset["segcls3d"] == {"classes": {"abnormal": []}}
    assert CaseLabels.from_raw_dataset(out).column("abnormal") == {"MCUCXR_0001_0": 0.0, "MCUCXR_0002_1": 1.0}

    out_ignore = tmp_path / "with_ignore"
    labels_csv = write_csv(tmp_path / "labels.csv", ["case_id", "abnormal"], [["MCUCXR_0003_0", ""]])
    assert script.main(argv[:-1] + [str(out_ignore), "--missing-mask", "ignore", "--labels", str(labels_csv)]) == 0
    assert set(np.unique(label_array(out_ignore, "MCUCXR_0003_0"))) == {2}
    assert json.loads((out_ignore / "dataset.json").read_text())["labels"]["ignore"] == 2
    labels = CaseLabels.from_raw_dataset(out_ignore).column("abnormal")
    assert np.isnan(labels["MCUCXR_0003_0"]) and labels["MCUCXR_0002_1"] == 1.0  # CSV row wins, else file name


@pytest.mark.parametrize("name", ["Dataset611_CANDIDPTX", "Dataset612_SIIMACRPneumothorax", "Dataset613_ISIC2017",
                                  "Dataset614_ChestXrayLungs", "Dataset_from_folder"])
def test_scripts_have_help(name, capsys):
    with pytest.raises(SystemExit) as exit_info:
        load_script(name).main(["--help"])
    assert exit_info.value.code == 0 and "--shard" in capsys.readouterr().out
