"""Dataset_from_folder run for real: RGB PNG/JPEG, a broken image, resume, test images, real CT slices."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from fake_inputs_2d import box_mask, gradient, load_script, write_csv, write_jpeg, write_png

from segcls3d.errors import LabelFileError
from segcls3d.labels import CaseLabels, load_class_definitions

DCMQI = Path(__file__).resolve().parents[3] / "shared" / "data" / "dcmqi_ct3slice"
SHAPE = (10, 14)


@pytest.fixture(autouse=True)
def no_real_nnunet_folders(monkeypatch):
    """Never write into a user's real nnU-Net folders while testing."""
    for name in ("nnUNet_raw", "nnUNet_preprocessed", "nnUNet_results"):
        monkeypatch.delenv(name, raising=False)


def colour_image(seed: int) -> np.ndarray:
    base = gradient(SHAPE).astype(np.uint8)
    return np.stack([base + seed, base // 2, 255 - base], axis=2).astype(np.uint8)


def make_rgb_folder(root: Path) -> dict:
    masks = {"a": box_mask(SHAPE, 2, 3, 4, 5), "b": np.zeros(SHAPE, np.uint8), "c": box_mask(SHAPE, 0, 0, 2, 2),
             "d": box_mask(SHAPE, 5, 8, 3, 4)}
    write_png(root / "images" / "a.png", colour_image(1))
    write_png(root / "images" / "b.png", colour_image(2))
    (root / "images" / "c.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    write_jpeg(root / "images" / "d.jpg", colour_image(3))
    write_png(root / "test_images" / "t.png", colour_image(4))
    for name, mask in masks.items():
        write_png(root / "masks" / f"{name}_mask.png", mask * 255)
    write_csv(root / "labels.csv", ["case_id", "lesion", "other", "patient"],
              [["a", 1, 0, "p1"], ["b", 0, "", "p1"], ["c", 1, 1, "p2"], ["d", 1, 0, "p3"], ["t", 0, 1, "p9"]])
    return masks


def argv_rgb(root: Path, out: Path) -> list[str]:
    return ["--images", str(root / "images"), "--masks", str(root / "masks"), "--mask-suffix", "_mask",
            "--labels", str(root / "labels.csv"), "--name", "Dataset950_Fake", "-o", str(out),
            "--label-names", "lesion", "--group-column", "patient", "--channels", "rgb",
            "--test-images", str(root / "test_images")]


def test_rgb_folder_broken_image_resume_and_nnunet_check(tmp_path, capsys):
    from nnunetv2.experiment_planning.verify_dataset_integrity import verify_dataset_integrity

    script = load_script("Dataset_from_folder")
    masks = make_rgb_folder(tmp_path)
    out = tmp_path / "Dataset950_Fake"
    assert script.main(argv_rgb(tmp_path, out)) == 1  # c is broken: reported, the others converted
    assert "skipped c" in capsys.readouterr().err
    summary = (out / "conversion_log" / "summary.txt").read_text()
    assert "4 done, 1 skipped" in summary and "skipped c: case c:" in summary and "c.png" in summary

    for case in ("a", "b", "d"):
        channels = [sitk.GetArrayFromImage(sitk.ReadImage(str(out / "imagesTr" / f"{case}_{k:04d}.nii.gz")))
                    for k in range(3)]
        assert all(c.shape == (1,) + SHAPE for c in channels)
        label = sitk.ReadImage(str(out / "labelsTr" / f"{case}.nii.gz"))
        assert label.GetSpacing() == (1.0, 1.0, 999.0)
        assert np.array_equal(sitk.GetArrayFromImage(label)[0], masks[case])
    a = [sitk.GetArrayFromImage(sitk.ReadImage(str(out / "imagesTr" / f"a_{k:04d}.nii.gz")))[0] for k in range(3)]
    assert np.array_equal(np.stack(a, axis=2), colour_image(1))  # PNG is lossless: exact pixels
    assert not (out / "imagesTr" / "c_0000.nii.gz").exists()
    assert (out / "imagesTs" / "t_0002.nii.gz").is_file() and not (out / "labelsTs").exists()

    dataset = json.loads((out / "dataset.json").read_text())
    assert dataset["channel_names"] == {"0": "R", "1": "G", "2": "B"}
    assert dataset["segcls3d"] == {"classes": {"lesion": [1], "other": []}}
    assert [(c.name, c.label_ids) for c in load_class_definitions(out / "dataset.json")] == [("lesion", (1,)),
                                                                                            ("other", ())]
    labels = CaseLabels.from_raw_dataset(out)
    assert labels.column("lesion") == {"a": 1.0, "b": 0.0, "d": 1.0, "t": 0.0}
    assert np.isnan(labels["b"][1])
    splits = json.loads((out / "splits_final.json").read_text())
    assert len(splits) == 2  # two patient groups among the converted training cases (p1: a, b; p3: d)
    assert any(sorted(s["val"]) == ["a", "b"] for s in splits)
    verify_dataset_integrity(str(out), 1)

    # resume: fix the broken image; finished cases are not converted again
    before = (out / "imagesTr" / "a_0000.nii.gz").stat().st_mtime_ns
    write_png(tmp_path / "images" / "c.png", colour_image(5))
    assert script.main(argv_rgb(tmp_path, out)) == 0
    assert (out / "imagesTr" / "a_0000.nii.gz").stat().st_mtime_ns == before
    assert (out / "imagesTr" / "c_0002.nii.gz").is_file()
    assert set(CaseLabels.from_raw_dataset(out).case_ids) == {"a", "b", "c", "d", "t"}


def test_mixed_gray_and_colour_auto_gives_rgb_for_all(tmp_path):
    script = load_script("Dataset_from_folder")
    write_png(tmp_path / "images" / "g.png", gradient(SHAPE).astype(np.uint8))
    write_png(tmp_path / "images" / "c.png", colour_image(1))
    for name in ("g", "c"):
        write_png(tmp_path / "masks" / f"{name}.png", np.zeros(SHAPE, np.uint8))
    write_csv(tmp_path / "labels.csv", ["case_id", "lesion"], [["g", 0], ["c", 0]])
    argv = ["--images", str(tmp_path / "images"), "--masks", str(tmp_path / "masks"), "--labels",
            str(tmp_path / "labels.csv"), "--name", "Dataset951_Mixed", "-o", str(tmp_path / "out")]
    assert script.main(argv) == 0  # one colour image: every case gets R, G, B (the gray one repeated)
    assert (tmp_path / "out" / "imagesTr" / "g_0002.nii.gz").is_file()
    assert json.loads((tmp_path / "out" / "dataset.json").read_text())["channel_names"] == {"0": "R", "1": "G",
                                                                                           "2": "B"}
    assert script.main(argv + ["--channels", "gray", "-o", str(tmp_path / "out_gray")]) == 0
    assert not (tmp_path / "out_gray" / "imagesTr" / "c_0001.nii.gz").exists()


def test_bad_labels_csv_is_a_clear_error(tmp_path):
    script = load_script("Dataset_from_folder")
    write_png(tmp_path / "images" / "g.png", gradient(SHAPE).astype(np.uint8))
    write_png(tmp_path / "masks" / "g.png", np.zeros(SHAPE, np.uint8))
    write_csv(tmp_path / "labels.csv", ["case_id", "lesion"], [["g", "maybe"]])
    argv = ["--images", str(tmp_path / "images"), "--masks", str(tmp_path / "masks"), "--labels",
            str(tmp_path / "labels.csv"), "--name", "Dataset952_Bad", "-o", str(tmp_path / "out")]
    with pytest.raises(LabelFileError, match="line 2: case 'g', class 'lesion' has value 'maybe'"):
        script.main(argv)


@pytest.mark.skipif(not DCMQI.is_dir(), reason="shared sample data not present")
def test_real_ct_slices_with_liver_masks(tmp_path):
    """dcmqi's 3 real CT slices; the liver NRRD (512x512x3) is cut into one mask per slice by z position."""
    from nnunetv2.experiment_planning.verify_dataset_integrity import verify_dataset_integrity

    liver = sitk.ReadImage(str(DCMQI / "liver_seg.nrrd"))
    liver_array = sitk.GetArrayFromImage(liver)
    expected = {}
    (tmp_path / "images").mkdir()
    (tmp_path / "masks").mkdir()
    for dcm in sorted((DCMQI / "ct-3slice").glob("*.dcm")):
        shutil.copy(dcm, tmp_path / "images" / dcm.name)
        z = float(pydicom.dcmread(str(dcm), stop_before_pixels=True).ImagePositionPatient[2])
        k = int(round((z - liver.GetOrigin()[2]) / liver.GetSpacing()[2]))
        mask = sitk.GetImageFromArray(liver_array[k:k + 1])
        mask.SetSpacing(liver.GetSpacing())
        sitk.WriteImage(mask, str(tmp_path / "masks" / f"{dcm.stem}.nrrd"))
        expected[dcm.stem] = (k, int((liver_array[k] > 0).sum()))
    assert expected["01"][0] == 2 and expected["03"][0] == 0  # the NRRD runs inferior -> superior
    write_csv(tmp_path / "labels.csv", ["case_id", "liver"], [[c, 1] for c in expected])

    out = tmp_path / "Dataset953_CTSlices"
    script = load_script("Dataset_from_folder")
    assert script.main(["--images", str(tmp_path / "images"), "--masks", str(tmp_path / "masks"), "--labels",
                        str(tmp_path / "labels.csv"), "--name", out.name, "-o", str(out),
                        "--channel-name", "CT"]) == 0
    for case, (_, voxels) in expected.items():
        image = sitk.ReadImage(str(out / "imagesTr" / f"{case}_0000.nii.gz"))
        label = sitk.ReadImage(str(out / "labelsTr" / f"{case}.nii.gz"))
        assert image.GetSize() == (512, 512, 1)
        assert image.GetSpacing() == pytest.approx((0.810547, 0.810547, 999.0), abs=1e-5)
        hu = sitk.GetArrayFromImage(image)[0]
        stored = pydicom.dcmread(str(tmp_path / "images" / f"{case}.dcm")).pixel_array
        assert np.array_equal(hu, stored.astype(np.int32) - 1024)  # RescaleIntercept -1024
        assert int(sitk.GetArrayFromImage(label).sum()) == voxels
    assert {c: v for c, (_, v) in expected.items()} == {"01": 35220, "02": 35645, "03": 36233}
    assert json.loads((out / "dataset.json").read_text())["channel_names"] == {"0": "CT"}
    assert CaseLabels.from_raw_dataset(out).column("liver") == {"01": 1.0, "02": 1.0, "03": 1.0}
    verify_dataset_integrity(str(out), 1)
