"""classification.csv rows: columns, formatting, atomic write and read back."""
from __future__ import annotations

import math

import pytest

from segcls3d.errors import InputDataError
from segcls3d.summarize import (
    ClassSummary,
    parse_centroid,
    read_classification_csv,
    summary_row,
    write_classification_csv,
)

FIELDS = ["probability", "label", "volume_mm3", "components", "centroid_voxel", "centroid_world"]


def _summaries():
    return {
        "tumour": ClassSummary(0.8123, 1, 125.5, 2, (1.0, 2.345, 3.0), (-10.0, 0.004, 7.5)),
        "cyst": ClassSummary(0.1, 0, 0.0, 0, None, None),
    }


def test_row_columns_and_formatting():
    row = summary_row("case_007", _summaries())
    assert list(row) == ["case_id"] + [f"tumour_{f}" for f in FIELDS] + [f"cyst_{f}" for f in FIELDS]
    assert row["tumour_centroid_voxel"] == "1.00 2.35 3.00"
    assert row["tumour_centroid_world"] == "-10.00 0.00 7.50"
    assert row["cyst_centroid_voxel"] == "" and row["cyst_centroid_world"] == ""
    assert row["tumour_label"] == 1 and row["tumour_components"] == 2


@pytest.mark.parametrize("head_threshold, expected", [(0.5, (1, 0)), (0.95, (0, 0)), (0.2, (1, 1))])
def test_head_columns(head_threshold, expected):
    row = summary_row("c", _summaries(), {"tumour": 0.9, "cyst": 0.3}, head_threshold=head_threshold)
    assert list(row)[1:9] == [f"tumour_{f}" for f in FIELDS] + ["tumour_head_probability", "tumour_head_label"]
    assert (row["tumour_head_label"], row["cyst_head_label"]) == expected
    assert row["cyst_head_probability"] == 0.3


def test_head_only_class_gets_empty_segmentation_columns():
    row = summary_row("c", {"tumour": _summaries()["tumour"]}, {"tumour": 0.6, "malignant": 0.7})
    assert row["malignant_probability"] is None and row["malignant_centroid_voxel"] is None
    assert row["malignant_head_label"] == 1


def test_write_read_round_trip(tmp_path):
    rows = [
        summary_row("007", _summaries(), {"tumour": 0.9, "cyst": 0.2}),
        summary_row(
            "010",
            {"tumour": ClassSummary(0.2, 0, 0.0, 0, None, None), "cyst": _summaries()["cyst"]},
            {"tumour": 0.1, "cyst": 0.7},
        ),
    ]
    path = write_classification_csv(tmp_path / "out" / "classification.csv", rows)
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".tmp_")]
    header = path.read_text().splitlines()[0].split(",")
    assert header == list(rows[0])
    df = read_classification_csv(path)
    assert df["case_id"].tolist() == ["007", "010"]
    assert df["tumour_probability"].tolist() == pytest.approx([0.8123, 0.2])
    assert df["tumour_label"].tolist() == [1, 0]
    assert df["cyst_head_label"].tolist() == [0, 1]
    assert df["tumour_centroid_voxel"].tolist() == ["1.00 2.35 3.00", ""]
    assert parse_centroid(df.loc[0, "tumour_centroid_world"]) == pytest.approx((-10.0, 0.0, 7.5))
    assert parse_centroid(df.loc[1, "tumour_centroid_world"]) is None


def test_missing_values_and_new_columns(tmp_path):
    rows = [{"case_id": "a", "x_probability": 0.5}, {"case_id": "b", "x_probability": math.nan, "x_label": 1}]
    path = write_classification_csv(tmp_path / "c.csv", rows)
    assert path.read_text().splitlines() == ["case_id,x_probability,x_label", "a,0.5,", "b,,1"]
    with pytest.raises(ValueError, match="case_id"):
        write_classification_csv(tmp_path / "d.csv", [{"x_probability": 0.5}])


def test_read_errors(tmp_path):
    with pytest.raises(InputDataError, match="not found"):
        read_classification_csv(tmp_path / "none.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("case,x_probability\na,0.5\n")
    with pytest.raises(InputDataError, match="bad.csv.*case_id"):
        read_classification_csv(bad)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputDataError, match="empty.csv"):
        read_classification_csv(empty)
