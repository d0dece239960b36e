"""CaseLabels / write_case_labels / raw_case_ids: parsing, every validation error, atomic writing, CLI errors."""
from __future__ import annotations

import json
import logging
import math

import numpy as np
import pandas as pd
import pytest

from segcls3d.cli.main import main
from segcls3d.errors import LabelFileError
from segcls3d.labels import LABELS_FILENAME, CaseLabels, write_case_labels
from segcls3d.labels.case_labels import raw_case_ids

CLASSES = ["lesion", "cyst"]
GOOD = "case_id,lesion,cyst\na,1,0\nb,,1\nc,0,\n"


def _write(tmp_path, text: str, name: str = "labels.csv", bom: bool = False, crlf: bool = False):
    path = tmp_path / name
    if crlf:
        text = text.replace("\n", "\r\n")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def _nan_equal(a, b) -> bool:
    return np.array_equal(np.asarray(a, np.float32), np.asarray(b, np.float32), equal_nan=True)


# ---------------------------------------------------------------------------------------------- reading
@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("crlf", [False, True])
def test_load_values_bom_crlf(tmp_path, bom, crlf):
    labels = CaseLabels.load(_write(tmp_path, GOOD, bom=bom, crlf=crlf), CLASSES)
    assert labels.classes == CLASSES
    assert sorted(labels.case_ids) == ["a", "b", "c"]
    assert len(labels) == 3
    assert _nan_equal(labels["a"], [1, 0])
    assert _nan_equal(labels["b"], [np.nan, 1])
    assert _nan_equal(labels["c"], [0, np.nan])
    assert labels["a"].dtype == np.float32


def test_empty_cell_is_nan_and_accessors(tmp_path):
    labels = CaseLabels.load(_write(tmp_path, GOOD), CLASSES)
    col = labels.column("lesion")
    assert col["a"] == 1.0 and col["c"] == 0.0 and math.isnan(col["b"])
    assert labels.column("cyst") == pytest.approx({"a": 0.0, "b": 1.0, "c": math.nan}, nan_ok=True)
    batch = labels.batch(["c", "zz", "a"])
    assert batch.shape == (3, 2)
    assert _nan_equal(batch, [[0, np.nan], [np.nan, np.nan], [1, 0]])
    assert labels.batch([]).shape == (0, 2)
    assert _nan_equal(labels.get("zz"), [np.nan, np.nan])
    assert "a" in labels and "zz" not in labels
    sub = labels.subset(["a", "c", "zz"])
    assert sorted(sub.case_ids) == ["a", "c"] and sub.classes == CLASSES


def test_getitem_of_unknown_case_names_file_and_case(tmp_path):
    path = _write(tmp_path, GOOD)
    labels = CaseLabels.load(path, CLASSES)
    with pytest.raises(LabelFileError, match="no labels for case 'zz'") as info:
        labels["zz"]
    assert str(path) in str(info.value)


def test_class_order_follows_argument_not_header(tmp_path):
    labels = CaseLabels.load(_write(tmp_path, GOOD), ["cyst", "lesion"])
    assert _nan_equal(labels["a"], [0, 1])
    assert _nan_equal(labels["b"], [1, np.nan])


def test_whitespace_and_blank_lines_are_tolerated(tmp_path):
    text = " case_id , lesion ,cyst\n\n a , 1 ,0 \n,,\nb,,\n"
    labels = CaseLabels.load(_write(tmp_path, text), CLASSES)
    assert sorted(labels.case_ids) == ["a", "b"]
    assert _nan_equal(labels["a"], [1, 0])
    assert _nan_equal(labels["b"], [np.nan, np.nan])


def test_short_row_counts_as_unknown(tmp_path):
    labels = CaseLabels.load(_write(tmp_path, "case_id,lesion,cyst\na,1\n"), CLASSES)
    assert _nan_equal(labels["a"], [1, np.nan])


def test_extra_columns_are_ignored_with_warning(tmp_path, caplog):
    path = _write(tmp_path, "case_id,lesion,notes,cyst,site\na,1,hello,0,x\nb,0,,1,y\n")
    with caplog.at_level(logging.WARNING, logger="segcls3d.labels.case_labels"):
        labels = CaseLabels.load(path, CLASSES)
    assert _nan_equal(labels["a"], [1, 0]) and _nan_equal(labels["b"], [0, 1])
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert str(path) in message and "notes" in message and "site" in message


def test_no_warning_without_extra_columns(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        CaseLabels.load(_write(tmp_path, GOOD), CLASSES)
    assert not [r for r in caplog.records if r.name.startswith("segcls3d")]


def test_known_and_required_cases_accept_valid_file(tmp_path):
    labels = CaseLabels.load(_write(tmp_path, GOOD), CLASSES, known_cases=["a", "b", "c", "t1"],
                             required_cases=["a", "b"])
    assert len(labels) == 3


# ---------------------------------------------------------------------------------------------- errors
ERROR_CASES = [
    pytest.param("case_id,lesion,cyst\na,1,0\nb,2,0\n", {}, ["line 3", "case 'b'", "class 'lesion'", "'2'"],
                 id="value-2"),
    pytest.param("case_id,lesion,cyst\na,1,yes?\n", {}, ["line 2", "case 'a'", "class 'cyst'", "'yes?'"],
                 id="value-yes?"),
    pytest.param("case_id,lesion,cyst\na,0.5,0\n", {}, ["case 'a'", "'0.5'"], id="value-0.5"),
    pytest.param("case_id,lesion,cyst\na,-1,0\n", {}, ["case 'a'", "'-1'"], id="value--1"),
    pytest.param("case_id,lesion,cyst\na,positive,0\n", {}, ["case 'a'", "'positive'"], id="value-word"),
    pytest.param("case_id,lesion,cyst\na,1,0\nb,0,0\na,0,1\n", {}, ["line 4", "'a'", "more than once"],
                 id="duplicate-id"),
    pytest.param("case_id,lesion\na,1\n", {}, ["missing column", "cyst"], id="missing-class-column"),
    pytest.param("", {}, ["empty"], id="empty-file"),
    pytest.param("\n \n,,\n", {}, ["empty"], id="blank-lines-only"),
    pytest.param("id,lesion,cyst\na,1,0\n", {}, ["no 'case_id' column"], id="no-case-id-column"),
    pytest.param("case_id,lesion,cyst\n,1,0\n", {}, ["line 2", "empty case_id"], id="empty-case-id"),
    pytest.param("case_id,lesion,lesion,cyst\na,1,1,0\n", {}, ["duplicated column", "lesion"], id="duplicate-column"),
    pytest.param(GOOD, {"known_cases": ["a", "b"]}, ["not in the dataset", "'c'"], id="unknown-case"),
    pytest.param(GOOD, {"required_cases": ["a", "b", "c", "d", "e"]}, ["no row for case", "'d'", "'e'"],
                 id="missing-training-case"),
]


@pytest.mark.parametrize("text, kwargs, expected", ERROR_CASES)
def test_validation_errors_name_file_and_case(tmp_path, text, kwargs, expected):
    path = _write(tmp_path, text)
    with pytest.raises(LabelFileError) as info:
        CaseLabels.load(path, CLASSES, **kwargs)
    message = str(info.value)
    assert str(path) in message
    for part in expected:
        assert part in message, (part, message)
    assert "\n" not in message


def test_unknown_case_message_is_truncated_for_many_cases(tmp_path):
    rows = "".join(f"x{i:02d},1,0\n" for i in range(25))
    path = _write(tmp_path, "case_id,lesion,cyst\n" + rows)
    with pytest.raises(LabelFileError, match="and 15 more"):
        CaseLabels.load(path, CLASSES, known_cases=[])


def test_missing_file(tmp_path):
    with pytest.raises(LabelFileError, match="not found") as info:
        CaseLabels.load(tmp_path / "nope.csv", CLASSES)
    assert "nope.csv" in str(info.value)


def test_binary_file_is_a_label_file_error(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_bytes(b"\xff\xfe\x00\x81case")
    with pytest.raises(LabelFileError, match="cannot be read"):
        CaseLabels.load(path, CLASSES)


# ---------------------------------------------------------------------------------------------- raw dataset
def _raw_dataset(tmp_path, labels_text: str, file_ending: str = ".nii.gz"):
    root = tmp_path / "Dataset001_Test"
    for sub, names in {
        "imagesTr": ["a_0000", "a_0001", "b_0000", "b_0001", "c_0000", "c_0001"],
        "imagesTs": ["t1_0000", "t1_0001"],
    }.items():
        (root / sub).mkdir(parents=True)
        for n in names:
            (root / sub / f"{n}{file_ending}").write_bytes(b"")
    # things that are not cases
    (root / "imagesTr" / ".DS_Store").write_bytes(b"")
    (root / "imagesTr" / f"notes{file_ending}").write_bytes(b"")
    (root / "imagesTr" / "a_0000.txt").write_bytes(b"")
    (root / "dataset.json").write_text(json.dumps({
        "channel_names": {"0": "T1", "1": "T2"},
        "labels": {"background": 0, "lesion": 1, "cyst": 2},
        "numTraining": 3, "file_ending": file_ending,
    }))
    (root / LABELS_FILENAME).write_text(labels_text)
    return root


@pytest.mark.parametrize("ending", [".nii.gz", ".png"])
def test_raw_case_ids(tmp_path, ending):
    root = _raw_dataset(tmp_path, GOOD, ending)
    assert raw_case_ids(root, "imagesTr") == {"a", "b", "c"}
    assert raw_case_ids(root, "imagesTs") == {"t1"}
    assert raw_case_ids(root, "labelsTs") == set()


def test_from_raw_dataset_reads_classes_from_dataset_json(tmp_path):
    root = _raw_dataset(tmp_path, GOOD + "t1,,\n")
    labels = CaseLabels.from_raw_dataset(root)
    assert labels.classes == ["lesion", "cyst"]
    assert sorted(labels.case_ids) == ["a", "b", "c", "t1"]
    assert labels.source == str(root / LABELS_FILENAME)


@pytest.mark.parametrize("text, expected", [
    ("case_id,lesion,cyst\na,1,0\nb,0,1\n", "'c'"),  # a training case has no row
    (GOOD + "t2,1,0\n", "'t2'"),  # neither in imagesTr nor imagesTs
])
def test_from_raw_dataset_errors(tmp_path, text, expected):
    root = _raw_dataset(tmp_path, text)
    with pytest.raises(LabelFileError) as info:
        CaseLabels.from_raw_dataset(root)
    assert expected in str(info.value) and LABELS_FILENAME in str(info.value)


def test_from_raw_dataset_missing_labels_file(tmp_path):
    root = _raw_dataset(tmp_path, GOOD)
    (root / LABELS_FILENAME).unlink()
    with pytest.raises(LabelFileError, match="not found"):
        CaseLabels.from_raw_dataset(root)


# ---------------------------------------------------------------------------------------------- writing
def test_write_round_trip(tmp_path):
    path = tmp_path / "sub" / "labels.csv"
    data = {
        "b": {"lesion": 0, "cyst": None},
        "a": {"lesion": 1, "cyst": float("nan")},
        "c": {"lesion": np.float32(np.nan), "cyst": np.int64(1)},
        "d": {"lesion": np.float32(1.0), "cyst": True},
        "e": {"lesion": 0.0},  # missing class key -> unknown
    }
    assert write_case_labels(path, data, CLASSES) == path
    assert path.read_text().splitlines() == ["case_id,lesion,cyst", "a,1,", "b,0,", "c,,1", "d,1,1", "e,0,"]
    labels = CaseLabels.load(path, CLASSES, required_cases=list(data))
    expected = {"a": [1, np.nan], "b": [0, np.nan], "c": [np.nan, 1], "d": [1, 1], "e": [0, np.nan]}
    for case, values in expected.items():
        assert _nan_equal(labels[case], values), case
    assert sorted(p.name for p in path.parent.iterdir()) == ["labels.csv"]


def test_write_round_trip_from_loaded_labels(tmp_path):
    """Values taken from CaseLabels (float32, NaN) can be written back unchanged."""
    first = CaseLabels.load(_write(tmp_path, GOOD), CLASSES)
    data = {c: {k: first[c][j] for j, k in enumerate(CLASSES)} for c in first.case_ids}
    out = write_case_labels(tmp_path / "copy.csv", data, CLASSES)
    second = CaseLabels.load(out, CLASSES)
    for case in first.case_ids:
        assert _nan_equal(first[case], second[case])
    assert pd.read_csv(out).shape == (3, 3)


@pytest.mark.parametrize("bad", [2, -1, 0.5, "yes"])
def test_write_rejects_bad_value_and_leaves_nothing(tmp_path, bad):
    path = tmp_path / "labels.csv"
    with pytest.raises(LabelFileError) as info:
        write_case_labels(path, {"a": {"lesion": 1, "cyst": 0}, "b": {"lesion": bad, "cyst": 0}}, CLASSES)
    assert "case 'b'" in str(info.value) and "class 'lesion'" in str(info.value) and str(path) in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_write_failure_keeps_previous_file(tmp_path):
    path = tmp_path / "labels.csv"
    write_case_labels(path, {"a": {"lesion": 1, "cyst": 0}}, CLASSES)
    before = path.read_bytes()
    with pytest.raises(LabelFileError):
        write_case_labels(path, {"a": {"lesion": 2, "cyst": 0}}, CLASSES)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["labels.csv"]


# ---------------------------------------------------------------------------------------------- CLI errors
def _predictions(tmp_path):
    path = tmp_path / "classification.csv"
    pd.DataFrame({
        "case_id": ["a", "b", "c", "d"],
        "lesion_probability": [0.9, 0.2, 0.7, 0.1],
        "lesion_label": [1, 0, 1, 0],
    }).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("labels_text, expected", [
    ("case_id,lesion\na,1\nb,2\nc,1\nd,0\n", ["line 3", "case 'b'", "'2'"]),
    ("case_id,lesion\na,1\nb,0\na,1\nd,0\n", ["'a'", "more than once"]),
    ("id,lesion\na,1\n", ["no 'case_id' column"]),
    ("case_id,lesion\na,1\nb,0\nc,yes?\nd,0\n", ["line 4", "case 'c'", "'yes?'"]),
])
def test_cli_label_errors_exit_2_one_line(tmp_path, capsys, labels_text, expected):
    predictions = _predictions(tmp_path)
    bad = _write(tmp_path, labels_text, name="bad.csv")
    code = main(["evaluate", "--labels", str(bad), "--predictions", str(predictions), "--bootstrap", "0"])
    captured = capsys.readouterr()
    assert code == 2
    err_lines = [line for line in captured.err.splitlines() if line.strip()]
    assert len(err_lines) == 1, captured.err
    assert err_lines[0].startswith("segcls3d evaluate: error: ")
    assert "bad.csv" in err_lines[0]
    for part in expected:
        assert part in err_lines[0]
    assert "Traceback" not in captured.err + captured.out


def test_cli_accepts_good_labels(tmp_path, capsys):
    predictions = _predictions(tmp_path)
    good = _write(tmp_path, "case_id,lesion\na,1\nb,0\nc,1\nd,\n", name="good.csv")
    assert main(["evaluate", "--labels", str(good), "--predictions", str(predictions), "--bootstrap", "0"]) == 0


@pytest.mark.parametrize("value", ["yes", "true", "no", "nan", "NA", "?"])
def test_only_0_1_or_empty_are_accepted(tmp_path, value):
    path = tmp_path / "labels.csv"
    path.write_text(f"case_id,lesion\na,{value}\n")
    with pytest.raises(LabelFileError, match="allowed are 0, 1 or empty"):
        CaseLabels.load(path, ["lesion"])
