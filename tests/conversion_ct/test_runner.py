"""Tests of the conversion runner: resume, shards + merge, failure isolation, process pool."""

from __future__ import annotations

import functools
import json
import logging
import math
import os
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from segcls3d.conversion.dataset_writer import finalize_dataset, write_case
from segcls3d.conversion.runner import (
    CaseResult,
    ShardSpecError,
    check_settings,
    merge_records,
    parse_shard,
    read_record,
    run_cases,
)
from segcls3d.errors import InputDataError
from segcls3d.labels import CaseLabels


def _convert(case_id: str, out_dir: str, calls_dir: str) -> CaseResult:
    """Module-level (picklable) fake converter: bad_* raise InputDataError, boom_* raise RuntimeError."""
    Path(calls_dir, f"{case_id}.{os.getpid()}.{len(os.listdir(calls_dir))}").touch()
    if case_id.startswith("bad"):
        raise InputDataError(f"series {case_id}: missing slice")
    if case_id.startswith("boom"):
        raise RuntimeError("decoder crashed")
    image = sitk.GetImageFromArray(np.zeros((2, 3, 4), np.float32))
    label = sitk.GetImageFromArray(np.ones((2, 3, 4), np.uint8))
    write_case(Path(out_dir), case_id, [image], label)
    return CaseResult(case_id, "done", labels={"lesion": float(case_id.endswith("1")), "other": None})


def _calls(calls_dir: Path) -> list[str]:
    return sorted(p.name.split(".")[0] for p in calls_dir.iterdir())


@pytest.fixture()
def dirs(tmp_path):
    out, calls = tmp_path / "Dataset999_Test", tmp_path / "calls"
    calls.mkdir()
    return out, calls


def test_failures_are_isolated_and_resume_skips_done(dirs):
    out, calls = dirs
    convert = functools.partial(_convert, out_dir=str(out), calls_dir=str(calls))
    ids = ["c0", "bad1", "c1", "boom2", "c2"]
    results = run_cases(ids, convert, out)
    by_id = {r.case_id: r for r in results}
    assert [r.case_id for r in results] == sorted(ids)
    assert by_id["bad1"].status == "skipped" and "missing slice" in by_id["bad1"].message
    assert by_id["boom2"].status == "failed" and "RuntimeError: decoder crashed" in by_id["boom2"].message
    assert [by_id[c].status for c in ("c0", "c1", "c2")] == ["done"] * 3
    record = json.loads((out / "conversion_log" / "c1.json").read_text())
    assert record == {
        "case_id": "c1",
        "status": "done",
        "message": "",
        "labels": {"lesion": 1.0, "other": None},
        "split": "train",
    }
    summary = (out / "conversion_log" / "summary.txt").read_text()
    assert summary.startswith("5 case(s): 3 done, 1 skipped, 1 failed")
    assert "failed boom2: RuntimeError: decoder crashed" in summary

    # second run: only the skipped/failed cases are tried again; done results come from records
    for p in calls.iterdir():
        p.unlink()
    again = run_cases(ids, convert, out)
    assert _calls(calls) == ["bad1", "boom2"]
    assert [r.to_json() for r in again if r.status == "done"] == [r.to_json() for r in results if r.status == "done"]


def test_shards_partition_cases_and_merge(dirs):
    out, calls = dirs
    convert = functools.partial(_convert, out_dir=str(out), calls_dir=str(calls))
    ids = [f"c{i}" for i in range(7)]
    seen = []
    for i in range(3):
        part = run_cases(ids, convert, out, shard=(i, 3))
        assert [r.case_id for r in part] == sorted(ids)[i::3]
        seen += [r.case_id for r in part]
        summary = (out / "conversion_log" / f"summary_shard{i}of3.txt").read_text()
        assert summary == f"{len(part)} case(s): {len(part)} done, 0 skipped, 0 failed\n"
    assert sorted(seen) == sorted(ids) and len(seen) == len(ids)
    merged = merge_records(out)
    assert [r.case_id for r in merged] == sorted(ids)
    finalize_dataset(
        out,
        merged,
        channel_names={0: "CT"},
        labels={"background": 0, "lesion": 1},
        classes=["lesion", "other"],
        class_block={"classes": {"lesion": [1], "other": []}},
        dataset_name="Dataset999_Test",
    )
    dataset = json.loads((out / "dataset.json").read_text())
    assert dataset["numTraining"] == 7 and dataset["segcls3d"] == {"classes": {"lesion": [1], "other": []}}
    labels = CaseLabels.from_raw_dataset(out)
    assert labels.column("lesion") == {f"c{i}": float(i == 1) for i in range(7)}
    assert all(math.isnan(v) for v in labels.column("other").values())


def test_process_pool(dirs):
    out, calls = dirs
    convert = functools.partial(_convert, out_dir=str(out), calls_dir=str(calls))
    ids = ["c0", "c1", "boom", "c3"]
    results = run_cases(ids, convert, out, num_processes=2)
    assert [(r.case_id, r.status) for r in results] == [
        ("boom", "failed"),
        ("c0", "done"),
        ("c1", "done"),
        ("c3", "done"),
    ]
    assert _calls(calls) == sorted(ids)
    assert len({p.name.split(".")[1] for p in calls.iterdir()} - {str(os.getpid())}) >= 1
    assert sorted(p.name for p in (out / "imagesTr").iterdir()) == [
        "c0_0000.nii.gz",
        "c1_0000.nii.gz",
        "c3_0000.nii.gz",
    ]


def test_finalize_ignores_failed_cases_and_needs_one_done(dirs):
    out, calls = dirs
    convert = functools.partial(_convert, out_dir=str(out), calls_dir=str(calls))
    with pytest.raises(InputDataError, match="no case was converted"):
        finalize_dataset(
            out,
            run_cases(["bad"], convert, out),
            channel_names={0: "CT"},
            labels={"background": 0, "lesion": 1},
            classes=["lesion"],
        )
    results = run_cases(["bad", "c1"], convert, out)
    finalize_dataset(out, results, channel_names={0: "CT"}, labels={"background": 0, "lesion": 1}, classes=["lesion"])
    assert (out / "classification_labels.csv").read_text().splitlines() == ["case_id,lesion", "c1,1"]


@pytest.mark.parametrize("text", ["{truncated", '{"case_id": "c1", "status": "finished"}', '["c1"]'])
def test_unreadable_record_is_converted_again_with_a_warning(dirs, caplog, text):
    out, calls = dirs
    convert = functools.partial(_convert, out_dir=str(out), calls_dir=str(calls))
    run_cases(["c0", "c1"], convert, out)
    (out / "conversion_log" / "c1.json").write_text(text)
    for p in calls.iterdir():
        p.unlink()
    with caplog.at_level(logging.WARNING):
        assert read_record(out, "c1") is None
        again = run_cases(["c0", "c1"], convert, out)
    assert "c1.json" in caplog.text and "again" in caplog.text
    assert _calls(calls) == ["c1"]
    assert [(r.case_id, r.status) for r in again] == [("c0", "done"), ("c1", "done")]
    assert json.loads((out / "conversion_log" / "c1.json").read_text())["status"] == "done"


def test_merge_refuses_a_broken_record_and_a_missing_log(dirs):
    out, calls = dirs
    with pytest.raises(InputDataError, match="no conversion records found"):
        merge_records(out)
    run_cases(["c0"], functools.partial(_convert, out_dir=str(out), calls_dir=str(calls)), out)
    (out / "conversion_log" / "c9.json").write_text("{")
    with pytest.raises(InputDataError, match=r"c9\.json: record is not valid JSON"):
        merge_records(out)
    (out / "conversion_log" / "c9.json").write_text('{"case_id": "c9", "status": "done", "split": "val"}')
    with pytest.raises(InputDataError, match=r"c9\.json: split 'val' is not one of"):
        merge_records(out)


def test_check_settings_keeps_the_settings_file_and_names_changes(tmp_path):
    check_settings(tmp_path, {"per_vertebra": False, "size": (128, 128)})
    path = tmp_path / "conversion_log" / "settings.txt"
    assert json.loads(path.read_text()) == {"per_vertebra": False, "size": [128, 128]}
    check_settings(tmp_path, {"per_vertebra": False, "size": [128, 128]})
    with pytest.raises(InputDataError, match=r"other settings \(size: \[128, 128\] -> \[64, 64\]\)"):
        check_settings(tmp_path, {"per_vertebra": False, "size": (64, 64)})


@pytest.mark.parametrize("text,expected", [("0/1", (0, 1)), ("2/4", (2, 4)), (" 3/4 ", (3, 4))])
def test_parse_shard(text, expected):
    assert parse_shard(text) == expected


@pytest.mark.parametrize("text", ["1", "4/4", "-1/3", "a/b", "1/0", "1/2/3"])
def test_parse_shard_rejects(text):
    with pytest.raises(ShardSpecError, match="shard"):
        parse_shard(text)
