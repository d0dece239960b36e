"""collect_cases: nnU-Net channel naming, one file per case, .nii and .nii.gz, per-case problems, ignored files."""
from __future__ import annotations

import pytest

from segcls3d.errors import InputDataError
from segcls3d.predict.inputs import collect_cases


def _touch(folder, *names):
    folder.mkdir(parents=True, exist_ok=True)
    for n in names:
        (folder / n).write_bytes(b"")
    return folder


def _names(cases):
    return {case: [p.name for p in files] for case, files in cases.items()}


def test_nnunet_naming_two_channels(tmp_path):
    folder = _touch(tmp_path / "in", "b_0001.nii.gz", "a_0000.nii.gz", "b_0000.nii.gz", "a_0001.nii.gz",
                    "case_with_underscore_7_0000.nii.gz", "case_with_underscore_7_0001.nii.gz")
    cases, problems = collect_cases(folder, ".nii.gz", 2)
    assert problems == {}
    assert _names(cases) == {
        "a": ["a_0000.nii.gz", "a_0001.nii.gz"],
        "b": ["b_0000.nii.gz", "b_0001.nii.gz"],
        "case_with_underscore_7": ["case_with_underscore_7_0000.nii.gz", "case_with_underscore_7_0001.nii.gz"],
    }
    assert list(cases) == sorted(cases)
    assert all(p.parent == folder for files in cases.values() for p in files)


def test_single_channel_model_accepts_both_namings(tmp_path):
    folder = _touch(tmp_path / "in", "scan1.nii.gz", "scan2_0000.nii.gz", "patient-3.nii.gz")
    cases, problems = collect_cases(folder, ".nii.gz", 1)
    assert problems == {}
    assert _names(cases) == {"patient-3": ["patient-3.nii.gz"], "scan1": ["scan1.nii.gz"],
                             "scan2": ["scan2_0000.nii.gz"]}


def test_missing_channel_is_a_problem_of_that_case_only(tmp_path):
    folder = _touch(tmp_path / "in", "a_0000.nii.gz", "a_0001.nii.gz", "b_0000.nii.gz", "c_0001.nii.gz",
                    "d_0000.nii.gz", "d_0001.nii.gz", "d_0002.nii.gz")
    cases, problems = collect_cases(folder, ".nii.gz", 2)
    assert _names(cases) == {"a": ["a_0000.nii.gz", "a_0001.nii.gz"]}
    assert set(problems) == {"b", "c", "d"}
    assert "b_0001.nii.gz" in problems["b"] and "missing" in problems["b"]
    assert "c_0000.nii.gz" in problems["c"]
    assert "[2]" in problems["d"] and "takes 2" in problems["d"]


def test_hidden_temp_and_other_files_are_ignored(tmp_path):
    folder = _touch(tmp_path / "in", "a_0000.nii.gz", ".a_0000.nii.gz", ".tmp_x_b_0000.nii.gz", "._a_0000.nii.gz",
                    "a_0000.nii.gz.part", "notes.txt", "c_0000.mha", ".d_0000.nii")
    (folder / "sub_0000.nii.gz").mkdir()
    cases, problems = collect_cases(folder, ".nii.gz", 1)
    assert _names(cases) == {"a": ["a_0000.nii.gz"]} and problems == {}


@pytest.mark.parametrize("model_ending", [".nii.gz", ".nii"])
def test_nii_and_nii_gz_are_both_read_for_nifti_models(tmp_path, model_ending):
    """nnU-Net's readers read both; a .nii file is a case, not silently skipped."""
    folder = _touch(tmp_path / "in", "a_0000.nii.gz", "a_0001.nii", "b_0000.nii", "b_0001.nii", "c_0000.nii")
    cases, problems = collect_cases(folder, model_ending, 2)
    assert _names(cases) == {"a": ["a_0000.nii.gz", "a_0001.nii"], "b": ["b_0000.nii", "b_0001.nii"]}
    assert list(problems) == ["c"] and "c_0001" + model_ending in problems["c"]
    cases, problems = collect_cases(_touch(tmp_path / "one", "scan.nii", "x_0000.nii.gz"), model_ending, 1)
    assert _names(cases) == {"scan": ["scan.nii"], "x": ["x_0000.nii.gz"]} and problems == {}


def test_same_channel_in_two_files_is_a_problem_of_that_case(tmp_path):
    folder = _touch(tmp_path / "in", "a_0000.nii.gz", "a_0000.nii", "b.nii.gz", "b_0000.nii.gz", "c_0000.nii.gz",
                    "scan_0012.nii", "scan_0012.nii.gz")
    cases, problems = collect_cases(folder, ".nii.gz", 1)
    assert _names(cases) == {"c": ["c_0000.nii.gz"]}
    assert set(problems) == {"a", "b", "scan_0012"}
    assert "a_0000.nii" in problems["a"] and "a_0000.nii.gz" in problems["a"] and "several files" in problems["a"]
    assert "b.nii.gz" in problems["b"] and "b_0000.nii.gz" in problems["b"]


def test_other_file_ending(tmp_path):
    folder = _touch(tmp_path / "in", "x_0000.png", "x_0001.png", "x_0002.png", "y_0000.nii.gz")
    cases, problems = collect_cases(folder, ".png", 3)
    assert _names(cases) == {"x": ["x_0000.png", "x_0001.png", "x_0002.png"]} and problems == {}


def test_unsuffixed_file_for_multichannel_model(tmp_path):
    folder = _touch(tmp_path / "in", "a_0000.nii.gz", "a_0001.nii.gz", "plain.nii.gz")
    with pytest.raises(InputDataError, match=r"plain\.nii\.gz: the model expects 2 channels.*_0001\.nii\.gz"):
        collect_cases(folder, ".nii.gz", 2)


def test_missing_or_empty_folder(tmp_path):
    with pytest.raises(InputDataError, match="does not exist") as info:
        collect_cases(tmp_path / "nope", ".nii.gz", 1)
    assert "nope" in str(info.value)
    empty = _touch(tmp_path / "empty", "readme.txt", ".hidden.nii.gz")
    with pytest.raises(InputDataError, match=r"no '\*\.nii\.gz' or '\*\.nii' files in"):
        collect_cases(empty, ".nii.gz", 1)
    a_file = _touch(tmp_path / "f", "x.nii.gz") / "x.nii.gz"
    with pytest.raises(InputDataError, match="does not exist"):
        collect_cases(a_file, ".nii.gz", 1)


def test_single_channel_numbered_names_are_cases(tmp_path):
    """For a 1-channel model, scan_0012.nii.gz without scan_0000 is its own case, not channel 12."""
    from segcls3d.predict.inputs import collect_cases

    for name in ("scan_0012.nii.gz", "scan_0013.nii.gz", "other_0000.nii.gz"):
        (tmp_path / name).write_bytes(b"x")
    cases, problems = collect_cases(tmp_path, ".nii.gz", 1)
    assert sorted(cases) == ["other", "scan_0012", "scan_0013"]
    assert problems == {}
