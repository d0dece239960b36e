"""Dataset602 on real data: TotalSegmentator's example CT + its output, and the JPEG2000 DICOM series."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from segcls3d.conversion.script_support import run_script
from segcls3d.labels import CaseLabels

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT.parent / "shared" / "data" / "totalseg_example"
if not EXAMPLE.is_dir():
    EXAMPLE = Path("/work/shared/data/totalseg_example")
TOTAL_IDS = {"T11": 33, "T12": 32, "L1": 31, "L2": 30, "L3": 29, "L4": 28, "L5": 27}


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "dataset_conversion" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def inputs(tmp_path, monkeypatch):
    monkeypatch.setenv("TOTALSEG_HOME_DIR", str(tmp_path / "empty_totalseg_home"))
    monkeypatch.delenv("TOTALSEG_WEIGHTS_PATH", raising=False)
    monkeypatch.setenv("nnUNet_preprocessed", str(tmp_path / "preprocessed"))
    cts, segs = tmp_path / "ct", tmp_path / "totalseg"
    cts.mkdir(), segs.mkdir()
    for case in ("abdomen_pos", "abdomen_neg"):
        (cts / f"{case}.nii.gz").symlink_to(EXAMPLE / "example_ct.nii.gz")
        (segs / f"{case}.nii.gz").symlink_to(EXAMPLE / "example_seg_fast_force_split.nii.gz")
    (cts / "dicom_pos").symlink_to(EXAMPLE / "example_ct_dicom", target_is_directory=True)
    (segs / "dicom_pos.nii.gz").symlink_to(EXAMPLE / "example_seg_dicom.nii.gz")
    table = tmp_path / "grades.csv"  # VerSe-like Genant grades 0-3, one row per scan, grouped by patient
    table.write_text(
        "case_id,patient,vertebrae_T11,vertebrae_T12,L1,L2,L3,L4,L5\n"
        "abdomen_pos,p1,0,2,0,0,1,0,0\n"
        "abdomen_neg,p2,0,0,0,0,0,0,\n"
        "dicom_pos,p3,3,0,,,,,\n"
    )
    return cts, segs, table, tmp_path


def test_real_ct_and_jpeg2000_series_to_nnunet_dataset(inputs):
    cts, segs, table, tmp = inputs
    out = tmp / "Dataset602_VertebraLevelLabels"
    script = load_script("Dataset602_VertebraLevelLabels")
    argv = [
        str(cts),
        str(table),
        "-o",
        str(out),
        "--vertebrae-from",
        str(segs),
        "--group-column",
        "patient",
        "--per-vertebra",
        "--threshold",
        "1",
    ]
    assert run_script(script.main, argv) == 0

    seg = sitk.GetArrayFromImage(sitk.ReadImage(str(EXAMPLE / "example_seg_fast_force_split.nii.gz")))
    target = sitk.GetArrayFromImage(sitk.ReadImage(str(out / "labelsTr" / "abdomen_pos.nii.gz")))
    # per-vertebra labels follow the table's levels in anatomical order: T11=1, T12=2, L1=3, L2=4, L3=5, ...
    expected = np.where(seg == TOTAL_IDS["T12"], 2, 0) + np.where(seg == TOTAL_IDS["L3"], 5, 0)
    np.testing.assert_array_equal(target, expected)
    assert (target == 2).sum() == (seg == 32).sum() > 0
    assert not sitk.GetArrayFromImage(sitk.ReadImage(str(out / "labelsTr" / "abdomen_neg.nii.gz"))).any()

    # DICOM case: the TotalSegmentator output (stored LAS) is brought onto the CT grid
    dicom_target = sitk.ReadImage(str(out / "labelsTr" / "dicom_pos.nii.gz"))
    dicom_image = sitk.ReadImage(str(out / "imagesTr" / "dicom_pos_0000.nii.gz"))
    assert dicom_image.GetSize() == dicom_target.GetSize() == (512, 512, 20)
    assert dicom_image.GetOrigin() == pytest.approx((-249.51171875, -437.51171875, -804.5))
    dicom_seg = sitk.GetArrayFromImage(sitk.ReadImage(str(EXAMPLE / "example_seg_dicom.nii.gz")))[:, ::-1, :]
    np.testing.assert_array_equal(sitk.GetArrayFromImage(dicom_target), np.where(dicom_seg == 33, 1, 0))
    assert sitk.GetArrayFromImage(dicom_image).min() == -1024

    dataset = json.loads((out / "dataset.json").read_text())
    assert dataset["numTraining"] == 3
    assert dataset["segcls3d"]["classes"]["any_fracture"] == list(range(1, 8))
    labels = CaseLabels.from_raw_dataset(out)
    assert labels.classes == ["any_fracture", "T11", "T12", "L1", "L2", "L3", "L4", "L5"]
    np.testing.assert_array_equal(labels["abdomen_pos"], [1, 0, 1, 0, 0, 1, 0, 0])
    assert np.isnan(labels["abdomen_neg"][0]) and labels["abdomen_neg"][1] == 0  # L5 unknown -> overall unknown
    assert labels["dicom_pos"][0] == 1 and np.isnan(labels["dicom_pos"][3])
    for splits_path in (out / "splits_final.json", tmp / "preprocessed" / out.name / "splits_final.json"):
        splits = json.loads(splits_path.read_text())
        assert len(splits) == 3 and all(len(s["val"]) == 1 for s in splits)
    from nnunetv2.experiment_planning.verify_dataset_integrity import verify_dataset_integrity

    verify_dataset_integrity(str(out), num_processes=1)


def test_unsegmented_positive_level_is_skipped_and_reported(inputs):
    cts, segs, table, tmp = inputs
    table.write_text("case_id,C3,T12\nabdomen_pos,1,0\nabdomen_neg,0,0\n")  # no C3 in an abdomen CT
    out = tmp / "out"
    script = load_script("Dataset602_VertebraLevelLabels")
    assert run_script(script.main, [str(cts), str(table), "-o", str(out), "--vertebrae-from", str(segs)]) == 1
    record = json.loads((out / "conversion_log" / "abdomen_pos.json").read_text())
    assert record["status"] == "skipped"
    assert "vertebra C3 is labelled fractured but is absent from the vertebra segmentation" in record["message"]
    assert CaseLabels.from_raw_dataset(out).case_ids == ["abdomen_neg"]
