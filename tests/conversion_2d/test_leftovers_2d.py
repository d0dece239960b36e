"""Temporary files of a conversion killed with SIGKILL are removed by the next run; splits path is logged."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from fake_inputs_2d import ROOT, box_mask, gradient, load_script, write_csv, write_png

from segcls3d.conversion.leftovers import find_leftovers, remove_leftovers
from segcls3d.conversion.runner import CaseResult, merge_records, run_cases

SHAPE = (8, 9)
HERE = Path(__file__).resolve().parent


def _inputs(root: Path, n: int = 4) -> list[str]:
    write_csv(root / "labels.csv", ["case_id", "lesion"], [[f"c{i}", i % 2] for i in range(n)])
    for i in range(n):
        write_png(root / "images" / f"c{i}.png", (gradient(SHAPE) + i).astype(np.uint8))
        write_png(root / "masks" / f"c{i}.png", box_mask(SHAPE, 1, 1, 3, 3) * 255 * (i % 2))
    return ["--images", str(root / "images"), "--masks", str(root / "masks"), "--labels", str(root / "labels.csv"),
            "--name", "Dataset953_Killed", "-o", str(root / "out")]


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("nnUNet_")}
    return {**env, "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT)])}


KILLED_RUN = textwrap.dedent("""
    import os, signal, sys
    import SimpleITK as sitk
    from fake_inputs_2d import load_script

    real_write, written = sitk.WriteImage, []

    def write_then_die(image, path, *args, **kwargs):
        real_write(image, path, *args, **kwargs)
        written.append(path)
        if len(written) == 3:  # a temp file is complete but not yet renamed: die like an OOM kill
            os.kill(os.getpid(), signal.SIGKILL)

    sitk.WriteImage = write_then_die
    load_script("Dataset_from_folder").main(sys.argv[1:])
""")


def test_sigkilled_conversion_leaves_temp_files_that_the_rerun_removes(tmp_path, caplog, monkeypatch):
    argv = _inputs(tmp_path)
    out = tmp_path / "out"
    killed = subprocess.run([sys.executable, "-c", KILLED_RUN, *argv], env=_env(), cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    leftovers = sorted(p.name for p in out.rglob(".*") if p.is_file())
    assert any(n.startswith(".tmp_") for n in leftovers), leftovers  # from atomic_path
    assert any(n.startswith(".cases2d_") and n.endswith(".pkl") for n in leftovers), leftovers
    assert len(leftovers) == 2

    for name in ("nnUNet_raw", "nnUNet_preprocessed", "nnUNet_results"):
        monkeypatch.delenv(name, raising=False)
    with caplog.at_level(logging.INFO, logger="segcls3d.conversion"):
        assert load_script("Dataset_from_folder").main(argv) == 0
    assert "removed 2 temporary file(s) left in" in caplog.text
    assert not [p for p in out.rglob(".*") if p.is_file()]
    assert sorted(p.name for p in (out / "imagesTr").iterdir()) == [f"c{i}_0000.nii.gz" for i in range(4)]


def test_only_old_files_with_our_names_are_removed(tmp_path):
    started = time.time()
    old, new = started - 100, started + 100
    files = {"imagesTr/.tmp_ab12_c0_0000.nii.gz": old, ".cases2d_x1y2.pkl": old, "conversion_log/.tmp_q_c0.json": old,
             "imagesTr/.tmp_zz_c1_0000.nii.gz": new,  # written after this run started: not ours to remove
             ".cases2d_other.txt": old, "tmp_c0.nii.gz": old, "imagesTr/c0_0000.nii.gz": old, ".hidden": old}
    for name, mtime in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        os.utime(path, (mtime, mtime))
    assert [p.relative_to(tmp_path).as_posix() for p in find_leftovers(tmp_path, started)] == [
        ".cases2d_x1y2.pkl", "conversion_log/.tmp_q_c0.json", "imagesTr/.tmp_ab12_c0_0000.nii.gz"]
    assert remove_leftovers(tmp_path, started) == 3
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == [
        ".cases2d_other.txt", ".hidden", "imagesTr/.tmp_zz_c1_0000.nii.gz", "imagesTr/c0_0000.nii.gz",
        "tmp_c0.nii.gz"]
    assert remove_leftovers(tmp_path / "missing") == 0


def _done(case_id: str) -> CaseResult:
    return CaseResult(case_id, "done")


def test_shards_keep_other_shards_files_and_merge_removes_them(tmp_path):
    stale = tmp_path / "imagesTr" / ".tmp_abc_c9_0000.nii.gz"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"x")
    os.utime(stale, (time.time() - 100,) * 2)
    run_cases(["a", "b"], _done, tmp_path, shard=(0, 2))  # another shard may be writing it
    assert stale.exists()
    run_cases(["a", "b"], _done, tmp_path, shard=(1, 2))
    assert [r.case_id for r in merge_records(tmp_path)] == ["a", "b"] and not stale.exists()


def test_unsharded_run_cases_removes_leftovers(tmp_path):
    stale = tmp_path / "conversion_log" / ".tmp_k_a.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{")
    os.utime(stale, (time.time() - 100,) * 2)
    assert [r.status for r in run_cases(["a"], _done, tmp_path)] == ["done"]
    assert not stale.exists()


def test_splits_in_preprocessed_folder_are_logged(tmp_path, caplog, monkeypatch):
    argv = _inputs(tmp_path)
    preprocessed = tmp_path / "preprocessed"
    monkeypatch.setenv("nnUNet_preprocessed", str(preprocessed))
    with caplog.at_level(logging.INFO, logger="segcls3d.conversion"):
        assert load_script("Dataset_from_folder").main(argv) == 0
    target = preprocessed / "out" / "splits_final.json"
    assert target.is_file()
    lines = [r.getMessage() for r in caplog.records if str(target) in r.getMessage()]
    assert len(lines) == 1 and "outside the output folder" in lines[0]


@pytest.mark.parametrize("script", ["Dataset_from_folder"])
def test_help_says_where_splits_go(script, capsys):
    with pytest.raises(SystemExit):
        load_script(script).build_parser().parse_args(["--help"])
    assert "$nnUNet_preprocessed" in capsys.readouterr().out
