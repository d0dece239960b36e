"""Dataset601 end to end on a fake RSNA competition folder (synthetic DICOMs, sagittal masks)."""

from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk
from fake_ct_data import CT_SHAPE, make_rsna_folder

from segcls3d.conversion.script_support import run_script
from segcls3d.labels import CaseLabels

ROOT = Path(__file__).resolve().parents[2]
A, B, C, D = (f"1.2.826.0.1.3680043.10{i}" for i in range(1, 5))


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "dataset_conversion" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rsna(tmp_path_factory):
    root = tmp_path_factory.mktemp("rsna")
    return root, make_rsna_folder(root)


@pytest.fixture()
def no_totalseg_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("TOTALSEG_HOME_DIR", str(tmp_path / "empty_totalseg_home"))
    monkeypatch.delenv("TOTALSEG_WEIGHTS_PATH", raising=False)
    monkeypatch.delenv("nnUNet_preprocessed", raising=False)


def convert(root: Path, out: Path, *extra: str) -> int:
    script = load_script("Dataset601_RSNACervicalSpine")
    return run_script(script.main, [str(root), "-o", str(out), "--vertebrae-from", str(root / "totalseg"), *extra])


def labels_of(out: Path, case: str) -> np.ndarray:
    return sitk.GetArrayFromImage(sitk.ReadImage(str(out / "labelsTr" / f"{case}.nii.gz")))


def test_union_targets_labels_splits_and_resume(rsna, tmp_path, no_totalseg_weights, caplog, capsys):
    root, levels = rsna
    out = tmp_path / "Dataset601_RSNACervicalSpine"
    assert convert(root, out, "-np", "2") == 1  # the broken study is skipped -> non-zero exit
    records = {p.stem: json.loads(p.read_text()) for p in (out / "conversion_log").glob("*.json")}
    assert records[D]["status"] == "skipped" and "missing slice" in records[D]["message"]
    assert "1 skipped" in (out / "conversion_log" / "summary.txt").read_text()
    # targets: the sagittally stored competition mask comes back on the CT grid exactly
    np.testing.assert_array_equal(labels_of(out, A), np.isin(levels[A], [2, 5]).astype(np.uint8))
    np.testing.assert_array_equal(labels_of(out, C), (levels[C] == 3).astype(np.uint8))
    assert not labels_of(out, B).any()
    image = sitk.ReadImage(str(out / "imagesTr" / f"{A}_0000.nii.gz"))
    assert image.GetSize() == CT_SHAPE[::-1] and image.GetSpacing() == pytest.approx((0.8, 0.7, 2.5))
    dataset = json.loads((out / "dataset.json").read_text())
    assert dataset["labels"] == {"background": 0, "fracture": 1} and dataset["numTraining"] == 3
    assert dataset["segcls3d"]["classes"] == {"patient_overall": [1], **{f"C{i}": [] for i in range(1, 8)}}
    assert dataset["channel_names"] == {"0": "CT"}
    labels = CaseLabels.from_raw_dataset(out)
    assert labels.column("patient_overall") == {A: 1.0, B: 0.0, C: 1.0}
    assert labels.column("C5") == {A: 1.0, B: 0.0, C: 0.0}
    splits = json.loads((out / "splits_final.json").read_text())
    assert len(splits) == 3 and sorted(sum((s["val"] for s in splits), [])) == [A, B, C]
    from nnunetv2.experiment_planning.verify_dataset_integrity import verify_dataset_integrity

    verify_dataset_integrity(str(out), num_processes=1)

    caplog.clear()
    caplog.set_level(logging.INFO)
    before = {p.name: p.stat().st_mtime_ns for p in (out / "imagesTr").iterdir()}
    assert convert(root, out) == 1
    assert "3 case(s) already converted" in caplog.text
    assert {p.name: p.stat().st_mtime_ns for p in (out / "imagesTr").iterdir()} == before
    # resuming with other target options would mix two kinds of targets: refused
    assert convert(root, out, "--per-vertebra") == 2
    assert "was written with other settings (per_vertebra: False -> True)" in capsys.readouterr().err


def test_per_vertebra_sharded_then_merged(rsna, tmp_path, no_totalseg_weights):
    root, levels = rsna
    out = tmp_path / "per_vertebra"
    assert convert(root, out, "--per-vertebra", "--shard", "0/2") == 0  # A, C (sorted ids 0 and 2)
    assert sorted(p.stem for p in (out / "conversion_log").glob("*.json")) == [A, C]
    assert not (out / "dataset.json").exists()
    assert convert(root, out, "--per-vertebra", "--merge") == 2  # shard 1 has not run yet
    assert convert(root, out, "--per-vertebra", "--shard", "1/2") == 1
    assert convert(root, out, "--per-vertebra", "--merge") == 1  # merged; D stays skipped
    np.testing.assert_array_equal(labels_of(out, A), np.where(np.isin(levels[A], [2, 5]), levels[A], 0))
    np.testing.assert_array_equal(labels_of(out, C), np.where(levels[C] == 3, 3, 0))
    dataset = json.loads((out / "dataset.json").read_text())
    assert dataset["labels"] == {"background": 0, **{f"C{i}": i for i in range(1, 8)}}
    assert dataset["segcls3d"]["classes"] == {
        "patient_overall": list(range(1, 8)),
        **{f"C{i}": [i] for i in range(1, 8)},
    }
    assert CaseLabels.from_raw_dataset(out).column("C3") == {A: 0.0, B: 0.0, C: 1.0}


def test_bbox_slices_and_paper_preprocessing(rsna, tmp_path, no_totalseg_weights):
    root, levels = rsna
    out = tmp_path / "bbox"
    assert convert(root, out, "--bbox-slices") == 1
    expected = np.isin(levels[A], [2, 5]).astype(np.uint8)
    expected[[z for z in range(CT_SHAPE[0]) if z not in (3, 4)]] = 0  # boxes on files 4.dcm, 5.dcm
    np.testing.assert_array_equal(labels_of(out, A), expected)
    np.testing.assert_array_equal(labels_of(out, C), (levels[C] == 3).astype(np.uint8))  # no boxes: unchanged

    out = tmp_path / "paper"
    (root_b := tmp_path / "rsna_b").mkdir()
    (root_b / "train.csv").write_text("\n".join((root / "train.csv").read_text().splitlines()[:2]) + "\n")
    (root_b / "train_images").symlink_to(root / "train_images")
    (root_b / "segmentations").symlink_to(root / "segmentations")
    assert convert(root_b, out, "--paper-preprocessing") == 0
    image = sitk.ReadImage(str(out / "imagesTr" / f"{A}_0000.nii.gz"))
    target = sitk.ReadImage(str(out / "labelsTr" / f"{A}.nii.gz"))
    assert image.GetSize() == target.GetSize() == (128, 128, 128)
    array = sitk.GetArrayFromImage(image)
    assert array.dtype == np.float32 and 0.0 <= array.min() and array.max() <= 1.0
    assert set(np.unique(sitk.GetArrayFromImage(target)).tolist()) == {0, 1}
    assert json.loads((out / "dataset.json").read_text())["channel_names"] == {"0": "noNorm"}


def test_missing_totalsegmentator_weights_stop_before_any_work(rsna, tmp_path, no_totalseg_weights, capsys):
    root, _ = rsna
    out = tmp_path / "needs_totalseg"
    script = load_script("Dataset601_RSNACervicalSpine")
    assert run_script(script.main, [str(root), "-o", str(out), "--totalseg-fast"]) == 2  # study C has no mask
    message = capsys.readouterr().err
    if importlib.util.find_spec("totalsegmentator") is None:  # optional dependency not installed
        assert "TotalSegmentator is not installed; install it with `pip install TotalSegmentator`" in message
    else:
        assert "TotalSegmentator weights for task 'total_fast' are missing" in message
        assert str(tmp_path / "empty_totalseg_home" / "nnunet" / "results") in message
        assert "totalseg_download_weights -t total_fast" in message
    assert not out.exists()
