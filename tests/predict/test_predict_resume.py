"""predict keeps its table: written case by case, resumed after a kill, and never mixed with other results.

Runs the real ``segcls3d predict`` on the old SegCls checkpoint (tests/data/old_checkpoints); the
kill test sends a real SIGKILL to a subprocess.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from segcls3d.cli.main import main
from segcls3d.predict.resume import RECORDS_DIRNAME

DATA = Path(__file__).resolve().parents[1] / "data" / "old_checkpoints"
MODEL = DATA / "models" / "nnUNetTrainerSegCls_smoke__nnUNetPlans_cpu_tiny__3d_fullres"
FAST = ["-f", "0", "--device", "cpu", "--disable-tta"]


def _images(folder: Path, copies: int = 1, cases: tuple[int, ...] = (0, 1, 2, 3)) -> Path:
    """The old test images, ``copies`` times under different case names."""
    folder.mkdir(parents=True, exist_ok=True)
    for c in range(copies):
        for i in cases:
            shutil.copy(DATA / "imagesTs" / f"synth_test_{i:04d}_0000.nii.gz", folder / f"c{c}_case{i}_0000.nii.gz")
    return folder


def _predict(images: Path, out: Path, *extra: str) -> int:
    return main(["predict", "-i", str(images), "-o", str(out), "-m", str(MODEL), *FAST, *extra])


def _records(out: Path) -> dict[str, dict]:
    files = sorted((out / RECORDS_DIRNAME).glob("*.json"))
    return {p.stem: json.loads(p.read_text()) for p in files if not p.name.startswith(".")}  # not temporary files


def _table(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "classification.csv", dtype={"case_id": str}).set_index("case_id")


def test_sigkill_leaves_a_consistent_table_and_the_rerun_predicts_only_the_rest(tmp_path, caplog):
    images = _images(tmp_path / "images", copies=4)  # 16 cases
    out = tmp_path / "out"
    command = [sys.executable, "-c", "import sys; from segcls3d.cli.main import main; sys.exit(main(sys.argv[1:]))",
               "predict", "-i", str(images), "-o", str(out), "-m", str(MODEL), *FAST]
    process = subprocess.Popen(command, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while len(list(out.glob("*.nii.gz"))) < 2 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)  # the second mask: the first case's record and table are written
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL

    records = _records(out)
    table = _table(out)
    assert 1 <= len(records) < 16
    assert set(table.index) <= set(records) and len(records) - len(table) <= 1  # at most the case being tabled
    for case in table.index:
        assert table.loc[case, "target_probability"] == pytest.approx(records[case]["row"]["target_probability"])
    finished = {case: (out / RECORDS_DIRNAME / f"{case}.json").stat().st_mtime_ns for case in records}

    caplog.set_level(logging.INFO, logger="segcls3d")
    assert _predict(images, out) == 0
    assert f"predicted {16 - len(records)} case(s), skipped {len(records)}" in caplog.text
    assert not list(out.glob(".tmp_*")) and not list((out / RECORDS_DIRNAME).glob(".tmp_*"))
    assert {c: (out / RECORDS_DIRNAME / f"{c}.json").stat().st_mtime_ns for c in finished} == finished

    clean = tmp_path / "clean"
    assert _predict(images, clean) == 0
    assert (out / "classification.csv").read_text() == (clean / "classification.csv").read_text()
    assert sorted(p.name for p in out.glob("*.nii.gz")) == sorted(p.name for p in clean.glob("*.nii.gz"))


def test_other_summarizer_needs_overwrite_which_replaces_everything(tmp_path, capsys):
    images = _images(tmp_path / "images", cases=(0, 1))
    out = tmp_path / "out"
    assert _predict(images, out) == 0
    before = _table(out)
    assert _predict(images, out, "--threshold", "0.3") == 2
    err = capsys.readouterr().err
    assert "other settings" in err and "summarizer" in err and "0.5 -> " in err and "--overwrite" in err
    pd.testing.assert_frame_equal(_table(out), before)  # untouched

    assert _predict(images, out, "--threshold", "0.3", "--overwrite") == 0
    assert all(r["settings"]["summarizer"]["threshold"] == 0.3 for r in _records(out).values())
    assert list(_table(out).index) == list(before.index)


def test_folder_with_foreign_results_needs_overwrite(tmp_path, capsys):
    images = _images(tmp_path / "images", cases=(0,))
    out = tmp_path / "out"
    out.mkdir()
    pd.DataFrame({"case_id": [f"old{i}" for i in range(6)], "target_probability": 0.5}).to_csv(
        out / "classification.csv", index=False)
    for i in range(6):
        shutil.copy(DATA / "imagesTs" / "synth_test_0001_0000.nii.gz", out / f"old{i}.nii.gz")
    assert _predict(images, out) == 2
    err = capsys.readouterr().err
    assert "6 mask/probability file(s) not written by segcls3d predict" in err and "classification.csv" in err
    assert len(_table(out)) == 6

    assert _predict(images, out, "--overwrite") == 0
    assert list(_table(out).index) == ["c0_case0"]
    assert sorted(p.name for p in out.glob("*.nii.gz")) == ["c0_case0.nii.gz"]


def test_other_inputs_keep_matching_rows_and_changed_inputs_are_predicted_again(tmp_path, caplog):
    out = tmp_path / "out"
    assert _predict(_images(tmp_path / "first", cases=(0, 1)), out) == 0
    second = _images(tmp_path / "second", cases=(2,))
    caplog.set_level(logging.INFO, logger="segcls3d")
    assert _predict(second, out) == 0
    assert "kept 2 case(s)" in caplog.text
    assert list(_table(out).index) == ["c0_case0", "c0_case1", "c0_case2"]

    caplog.clear()
    image = second / "c0_case2_0000.nii.gz"
    os.utime(image, ns=(image.stat().st_atime_ns, image.stat().st_mtime_ns + 10**9))
    assert _predict(second, out) == 0
    assert "predicted 1 case(s), skipped 0" in caplog.text
    (out / "c0_case2.nii.gz").unlink()  # a record whose mask is gone is predicted again
    caplog.clear()
    assert _predict(second, out) == 0
    assert "predicted 1 case(s), skipped 0" in caplog.text and (out / "c0_case2.nii.gz").is_file()
