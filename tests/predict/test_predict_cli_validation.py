"""`segcls3d predict`: bad arguments and bad inputs stop before the model loads; bad cases do not stop the others."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from segcls3d.cli.main import main

DATA = Path(__file__).resolve().parents[1] / "data" / "old_checkpoints"
IMAGES = DATA / "imagesTs"
MODEL = DATA / "models" / "nnUNetTrainerSegCls_smoke__nnUNetPlans_cpu_tiny__3d_fullres"


def _predict(tmp_path: Path, *extra: str, images: Path = IMAGES, out: Path | None = None) -> int:
    out = out or tmp_path / "out"
    return main(["predict", "-i", str(images), "-o", str(out), "-m", str(MODEL), "--device", "cpu", *extra])


@pytest.mark.parametrize("args, message", [
    (["-f", "abc"], "argument -f/--folds: expected a fold number (0, 1, ...) or 'all', got 'abc'"),
    (["-f", "0", "-1"], "argument -f/--folds"),
    (["--score", "bogus"], "argument --score: unknown score 'bogus' (choose from max, paper, soft_volume, topk_mean)"),
    (["--threshold", "2"], "argument --threshold: must lie in (0, 1), got 2"),
    (["--threshold", "0"], "argument --threshold: must lie in (0, 1), got 0"),
    (["--threshold", "nan"], "argument --threshold: expected a finite number, got 'nan'"),
    (["--tau", "-5"], "argument --tau: must be >= 0, got -5"),
    (["--tau", "x"], "argument --tau: expected a number, got 'x'"),
    (["--step-size", "0"], "argument --step-size: must lie in (0, 1], got 0"),
    (["--step-size", "1.5"], "argument --step-size: must lie in (0, 1], got 1.5"),
    (["--top-k", "0"], "argument --top-k: expected an integer >= 1, got '0'"),
    (["--top-k", "2.5"], "argument --top-k: expected an integer >= 1, got '2.5'"),
])
def test_bad_arguments_exit_2_with_one_line(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        _predict(tmp_path, *args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"segcls3d predict: error: {message}" in err
    assert len([line for line in err.splitlines() if "error" in line]) == 1
    assert not (tmp_path / "out").exists()


def test_good_arguments_parse():
    from segcls3d.cli.main import build_parser

    args = build_parser().parse_args(["predict", "-i", "i", "-o", "o", "-m", "m", "-f", "0", "all", "--score",
                                      "topk_mean", "--threshold", "0.3", "--tau", "0", "--step-size", "1",
                                      "--top-k", "3"])
    assert (args.folds, args.score, args.threshold, args.tau, args.step_size, args.top_k) == \
        ([0, "all"], "topk_mean", 0.3, 0.0, 1.0, 3)


def test_empty_input_folder_creates_no_output(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert _predict(tmp_path, images=tmp_path / "empty") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"segcls3d predict: error: no '*.nii.gz' or '*.nii' files in {tmp_path / 'empty'}"
    assert not (tmp_path / "out").exists()


def test_unwritable_output_folder_fails_fast(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert _predict(tmp_path, out=tmp_path / "file" / "out") == 2
    assert f"output folder {tmp_path / 'file' / 'out'} cannot be created" in capsys.readouterr().err
    assert _predict(tmp_path, out=Path("/proc/segcls3d_out")) == 2
    assert "output folder /proc/segcls3d_out is not writable" in capsys.readouterr().err


def test_bad_cases_are_reported_and_the_others_predicted(tmp_path, capsys, bad_input_folder):
    """Truncated (50%/95%), 4D and single-slice files: named with the reason, no mask; .nii is predicted."""
    images = bad_input_folder
    shutil.copy(IMAGES / "synth_test_0003_0000.nii.gz", images / "other_0000.nii.gz")
    assert _predict(tmp_path, "-f", "0", images=images) == 1
    err = capsys.readouterr().err
    for case, reason in [("cut50", "file truncated: "), ("cut95", "file truncated: "), ("four", "4D image"),
                         ("slice", "single-slice (2D) image"), ("flat", "single-slice (2D) image")]:
        assert f"  {case}: {case}_0000.nii.gz: {reason}" in err
        assert not (tmp_path / "out" / f"{case}.nii.gz").exists()
    table = pd.read_csv(tmp_path / "out" / "classification.csv", dtype={"case_id": str})
    assert sorted(table["case_id"]) == ["good", "other", "plain"]
    assert (tmp_path / "out" / "plain.nii.gz").is_file()


def test_only_bad_cases_loads_no_model(tmp_path, capsys, monkeypatch):
    import segcls3d.model.loading as loading

    images = tmp_path / "in"
    images.mkdir()
    data = (IMAGES / "synth_test_0000_0000.nii.gz").read_bytes()
    (images / "cut_0000.nii.gz").write_bytes(data[: len(data) // 2])
    monkeypatch.setattr(loading, "load_model", lambda *a, **k: pytest.fail("the model was loaded"))
    assert _predict(tmp_path, images=images) == 1
    assert "cut: cut_0000.nii.gz: file truncated" in capsys.readouterr().err
