"""generate_dataset and `segcls3d synth`: nnU-Net raw layout, labels CSV, resume, CLI errors."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import SimpleITK as sitk

from segcls3d.cli.main import main
from segcls3d.labels import CaseLabels
from segcls3d.synth import SynthConfig, SynthConfigError, generate_dataset
from segcls3d.synth.generator import generate_case

TINY_3D = dict(dim=3, shape=(16, 20, 24), spacing=(2.0, 1.0, 1.0), n_train=6, n_test=4, n_objects=6,
               target_size=2.0, spurious_size=3.0)
TINY_2D = dict(dim=2, shape=(24, 28), spacing=(0.5, 0.7), n_train=5, n_test=3, n_objects=5, target_size=2.0,
               spurious_size=3.0)
CLI_ARGS = ["--dim", "2", "--shape", "24", "24", "--n-train", "4", "--n-test", "2", "--n-objects", "4",
            "--target-size", "2", "--spurious-size", "3"]


def _metadata(folder):
    with (folder / "synth_metadata.csv").open(newline="") as handle:
        return {row["case_id"]: row for row in csv.DictReader(handle)}


def _read(path):
    image = sitk.ReadImage(str(path))
    return sitk.GetArrayFromImage(image), image.GetSpacing()


def test_3d_dataset_layout_and_nnunet_integrity(tmp_path):
    from nnunetv2.experiment_planning.verify_dataset_integrity import verify_dataset_integrity

    folder = generate_dataset(SynthConfig(**TINY_3D), tmp_path / "Dataset900_Synth")
    dataset = json.loads((folder / "dataset.json").read_text())
    assert dataset["channel_names"] == {"0": "synthetic"} and dataset["labels"] == {"background": 0, "target": 1}
    assert dataset["numTraining"] == 6 and dataset["file_ending"] == ".nii.gz"
    assert len(list((folder / "imagesTr").iterdir())) == 6 and len(list((folder / "labelsTs").iterdir())) == 4
    image, spacing = _read(folder / "imagesTr" / "synth_0000_0000.nii.gz")
    mask, mask_spacing = _read(folder / "labelsTr" / "synth_0000.nii.gz")
    assert image.shape == mask.shape == (16, 20, 24) and spacing == mask_spacing == (1.0, 1.0, 2.0)
    assert image.dtype == np.float32 and mask.dtype == np.uint8
    verify_dataset_integrity(str(folder), num_processes=1)

    labels = CaseLabels.from_raw_dataset(folder)
    meta = _metadata(folder)
    assert sorted(labels.case_ids) == sorted(meta) and len(meta) == 10
    for case, row in meta.items():
        assert labels.column("target")[case] == float(row["label"])
        split = "Tr" if row["split"] == "train" else "Ts"
        mask, _ = _read(folder / f"labels{split}" / f"{case}.nii.gz")
        assert int(mask.sum()) == int(row["target_voxels"]) and (mask.sum() > 0) == (row["label"] == "1")
    record = json.loads((folder / "synth_config.json").read_text())
    assert SynthConfig.from_dict(record["config"]) == SynthConfig(**TINY_3D)


def test_2d_dataset_is_single_slice_with_large_z_spacing(tmp_path):
    from nnunetv2.experiment_planning.verify_dataset_integrity import verify_dataset_integrity

    folder = generate_dataset(SynthConfig(**TINY_2D), tmp_path / "d2")
    image, spacing = _read(folder / "imagesTs" / "synth_test_0000_0000.nii.gz")
    assert image.shape == (1, 24, 28) and spacing == pytest.approx((0.7, 0.5, 999.0))
    verify_dataset_integrity(str(folder), num_processes=1)
    assert len(CaseLabels.from_raw_dataset(folder)) == 8


def test_rerun_resumes_and_conflicts_are_refused(tmp_path):
    folder = tmp_path / "d"
    generate_dataset(SynthConfig(**TINY_2D), folder)
    kept = folder / "imagesTr" / "synth_0001_0000.nii.gz"
    before = kept.stat().st_mtime_ns
    (folder / "labelsTr" / "synth_0002.nii.gz").unlink()  # an interrupted run
    (folder / "imagesTr" / ".tmp_abc_synth_0003_0000.nii.gz").write_bytes(b"half")
    generate_dataset(SynthConfig(**TINY_2D), folder)
    assert kept.stat().st_mtime_ns == before
    rewritten = sitk.GetArrayFromImage(sitk.ReadImage(str(folder / "labelsTr" / "synth_0002.nii.gz")))
    expected = generate_case(SynthConfig(**TINY_2D), "train", 2).mask
    assert np.array_equal(rewritten.reshape(24, 28), expected.reshape(24, 28))
    assert not list((folder / "imagesTr").glob(".tmp_*"))
    with pytest.raises(SynthConfigError, match=r"other parameters \(seed: 0 -> 1\)"):
        generate_dataset(SynthConfig(**TINY_2D, seed=1), folder)
    generate_dataset(SynthConfig(**dict(TINY_2D, n_train=3), seed=1), folder, overwrite=True)
    assert len(list((folder / "imagesTr").iterdir())) == 3


def test_foreign_non_empty_folder_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(SynthConfigError, match="no synth_config.json"):
        generate_dataset(SynthConfig(**TINY_2D), tmp_path)


def test_cli_generates_and_resumes(tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["synth", "--out", str(out), *CLI_ARGS, "--spurious", "1"]) == 0
    assert "train: 4 cases" in capsys.readouterr().out
    assert main(["synth", "--out", str(out), *CLI_ARGS, "--spurious", "1"]) == 0
    rows = _metadata(out).values()
    assert all(r["spurious_present"] == r["label"] for r in rows if r["split"] == "train")
    assert main(["synth", "--out", str(out), *CLI_ARGS]) == 2
    assert "--overwrite" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--prevalence", "1.5"], "--prevalence must be between 0 and 1, got 1.5"),
        (["--target-size", "20"], "target (--target-size) with radius 20 voxels is 41 voxels wide"),
        (["--shape", "24", "24", "24"], "--shape needs 2 sizes"),
    ],
)
def test_cli_bad_values_exit_2_with_message(tmp_path, capsys, extra, message):
    assert main(["synth", "--out", str(tmp_path / "bad"), *CLI_ARGS, *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "bad").exists()
