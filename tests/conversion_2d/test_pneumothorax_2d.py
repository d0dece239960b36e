"""CANDID-PTX and SIIM-ACR converters run for real on tiny DICOMs with RLE CSVs."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from fake_inputs_2d import box_mask, gradient, load_script, siim_reference_encode, write_csv, write_dicom

from segcls3d.conversion.images2d.rle import rle_encode
from segcls3d.labels import CaseLabels

SHAPE = (16, 12)  # H, W (real data: 1024 x 1024)
UID = "1.2.826.0.1.3680043.8.498."


@pytest.fixture(autouse=True)
def no_real_nnunet_folders(monkeypatch):
    """Never write into a user's real nnU-Net folders while testing."""
    for name in ("nnUNet_raw", "nnUNet_preprocessed", "nnUNet_results"):
        monkeypatch.delenv(name, raising=False)


def read_label(out: Path, case: str) -> np.ndarray:
    return sitk.GetArrayFromImage(sitk.ReadImage(str(out / "labelsTr" / f"{case}.nii.gz")))


def make_candid(root: Path) -> dict[str, np.ndarray]:
    """Positive with two RLE rows (union), negative, positive of another patient, a listed image with
    no file, and an image with no row."""
    part1, part2 = box_mask(SHAPE, 1, 1, 3, 2), box_mask(SHAPE, 10, 6, 4, 5)
    other = box_mask(SHAPE, 4, 9, 6, 3)
    stored = gradient(SHAPE).astype(np.uint16)
    write_dicom(root / "dataset" / f"{UID}1", stored, sop_uid=f"{UID}1", pixel_spacing=(0.2, 0.2))  # no suffix
    write_dicom(root / "dataset" / f"{UID}2.dcm", stored, sop_uid=f"{UID}2", photometric="MONOCHROME1")
    write_dicom(root / "dataset" / "sub" / f"{UID}3.dcm", stored, sop_uid=f"{UID}3")
    write_dicom(root / "dataset" / f"{UID}9.dcm", stored, sop_uid=f"{UID}9")  # not in the CSV
    write_csv(root / "Pneumothorax_reports.csv", ["SOPInstanceUID", "EncodedPixels", "filename", "Report"], [
        [f"{UID}1", siim_reference_encode(part1), "P100_1.dcm", "small apical pneumothorax"],
        [f"{UID}1", siim_reference_encode(part2), "P100_1.dcm", "small apical pneumothorax"],
        [f"{UID}2.dcm", "-1", "P100_2.dcm", "no pneumothorax"],
        [f"{UID}3", rle_encode(other, relative=True), "P200_1.dcm", "pneumothorax"],
        [f"{UID}4", "-1", "P300_1.dcm", "image file missing"],
    ])
    return {f"{UID}1": part1 | part2, f"{UID}2": np.zeros(SHAPE, np.uint8), f"{UID}3": other}


def test_candid_ptx_rle_masks_labels_and_patient_splits(tmp_path, capsys):
    from nnunetv2.experiment_planning.verify_dataset_integrity import verify_dataset_integrity

    expected = make_candid(tmp_path)
    out = tmp_path / "Dataset611_CANDIDPTX"
    script = load_script("Dataset611_CANDIDPTX")
    code = script.main(["--images", str(tmp_path / "dataset"), "--reports", str(tmp_path / "Pneumothorax_reports.csv"),
                        "-o", str(out)])
    assert code == 1  # the listed image without a file is reported
    assert f"skipped {UID}4: case {UID}4: no image file found" in capsys.readouterr().err
    for case, mask in expected.items():
        label = read_label(out, case)
        assert label.shape == (1,) + SHAPE and np.array_equal(label[0], mask)
    image = sitk.ReadImage(str(out / "imagesTr" / f"{UID}1_0000.nii.gz"))
    assert image.GetSpacing() == pytest.approx((0.2, 0.2, 999.0))
    inverted = sitk.GetArrayFromImage(sitk.ReadImage(str(out / "imagesTr" / f"{UID}2_0000.nii.gz")))[0]
    assert np.array_equal(inverted.astype(int), 4095 - gradient(SHAPE))  # MONOCHROME1 shown as MONOCHROME2
    assert not (out / "imagesTr" / f"{UID}9_0000.nii.gz").exists()

    labels = CaseLabels.from_raw_dataset(out)
    assert labels.column("pneumothorax") == {f"{UID}1": 1.0, f"{UID}2": 0.0, f"{UID}3": 1.0}
    splits = json.loads((out / "splits_final.json").read_text())
    assert sorted(sorted(s["val"]) for s in splits) == [[f"{UID}1", f"{UID}2"], [f"{UID}3"]]  # P100 together
    verify_dataset_integrity(str(out), 1)


def test_candid_png_masks_instead_of_rle(tmp_path):
    from fake_inputs_2d import write_png

    expected = make_candid(tmp_path)
    for case, mask in expected.items():
        write_png(tmp_path / "masks" / f"{case}.png", (mask * 255).astype(np.uint8))
    out = tmp_path / "out"
    script = load_script("Dataset611_CANDIDPTX")
    script.main(["--images", str(tmp_path / "dataset"), "--reports", str(tmp_path / "Pneumothorax_reports.csv"),
                 "--masks", str(tmp_path / "masks"), "-o", str(out)])
    for case, mask in expected.items():
        assert np.array_equal(read_label(out, case)[0], mask)


def make_siim(root: Path) -> dict[str, np.ndarray]:
    masks = {f"{UID}10": box_mask(SHAPE, 0, 0, 16, 1), f"{UID}11": np.zeros(SHAPE, np.uint8),
             f"{UID}12": box_mask(SHAPE, 3, 2, 5, 5), f"{UID}13": np.zeros(SHAPE, np.uint8)}
    patients = {f"{UID}10": "pa", f"{UID}11": "pa", f"{UID}12": "pb", f"{UID}13": "pc"}
    for k, case in enumerate(masks):
        folder = root / "dicom-images-train" / f"study{k}" / f"series{k}"
        write_dicom(folder / f"{case}.dcm", gradient(SHAPE).astype(np.uint16) + k, sop_uid=case,
                    patient_id=patients[case], imager_spacing=(0.168, 0.168))
    rows = [f"{case}, {rle_encode(mask, relative=True)}" for case, mask in masks.items()]
    (root / "train-rle.csv").write_text("ImageId, EncodedPixels\n" + "\n".join(rows) + "\n")
    return masks


def test_siim_shards_merge_and_patient_groups(tmp_path, monkeypatch):
    monkeypatch.setenv("nnUNet_preprocessed", str(tmp_path / "preprocessed"))
    expected = make_siim(tmp_path)
    out = tmp_path / "Dataset612_SIIMACRPneumothorax"
    script = load_script("Dataset612_SIIMACRPneumothorax")
    base = ["--images", str(tmp_path / "dicom-images-train"), "--rle", str(tmp_path / "train-rle.csv"), "-o", str(out)]
    assert script.main(base + ["--shard", "0/2"]) == 0
    assert not (out / "dataset.json").exists()
    assert len(list((out / "imagesTr").iterdir())) == 2
    assert script.main(base + ["--shard", "1/2"]) == 0
    assert script.main(base + ["--merge"]) == 0

    dataset = json.loads((out / "dataset.json").read_text())
    assert dataset["numTraining"] == 4 and dataset["labels"] == {"background": 0, "pneumothorax": 1}
    for case, mask in expected.items():
        assert np.array_equal(read_label(out, case)[0], mask)
    image = sitk.ReadImage(str(out / "imagesTr" / f"{UID}12_0000.nii.gz"))
    assert image.GetSpacing() == pytest.approx((0.168, 0.168, 999.0))
    assert CaseLabels.from_raw_dataset(out).column("pneumothorax") == {
        f"{UID}10": 1.0, f"{UID}11": 0.0, f"{UID}12": 1.0, f"{UID}13": 0.0}
    splits = json.loads((out / "splits_final.json").read_text())
    assert len(splits) == 3 and any(sorted(s["val"]) == [f"{UID}10", f"{UID}11"] for s in splits)
    copied = tmp_path / "preprocessed" / out.name / "splits_final.json"
    assert json.loads(copied.read_text()) == splits  # where nnU-Net reads it


def test_siim_wrong_rle_flavour_is_reported_per_case(tmp_path, capsys):
    make_siim(tmp_path)
    out = tmp_path / "out"
    script = load_script("Dataset612_SIIMACRPneumothorax")
    code = script.main(["--images", str(tmp_path / "dicom-images-train"), "--rle", str(tmp_path / "train-rle.csv"),
                        "-o", str(out), "--rle-format", "absolute"])
    assert code == 1  # the first mask starts at offset 0: invalid as a 1-based absolute start
    assert f"skipped {UID}10: case {UID}10: absolute RLE starts are 1-based" in capsys.readouterr().err
