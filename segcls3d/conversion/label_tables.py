"""Image-level labels from the CSV files that public datasets ship (ISIC ground truth, etc.).

Values are read by :func:`segcls3d.labels.values.parse_label_value` with ``lenient=True``: 0/1
(also ``0.0``/``1.0``, true/false, yes/no), empty or NaN = unknown. For a CSV that already has a
``case_id`` column and one column per class, use :meth:`segcls3d.labels.CaseLabels.load` instead
(the generic converter does).

Example:
    >>> table = read_label_table("ISIC-2017_Training_Part3_GroundTruth.csv", ["melanoma"],
    ...                          id_column="image_id")  # doctest: +SKIP
    >>> table["ISIC_0000002"]  # doctest: +SKIP
    {'melanoma': 1.0}
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Optional, Sequence, Union

from segcls3d.errors import LabelFileError
from segcls3d.labels.values import parse_label_value

PathLike = Union[str, Path]


def read_csv_rows(path: PathLike) -> tuple[list[str], list[dict[str, str]]]:
    """Header (stripped names) and rows of a CSV; tolerant of a BOM and of spaces after commas.

    Raises:
        LabelFileError: the file is missing, empty or not CSV.
    """
    path = Path(path)
    if not path.is_file():
        raise LabelFileError(f"{path}: file not found")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = [r for r in csv.reader(handle, skipinitialspace=True) if any(c.strip() for c in r)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LabelFileError(f"{path}: cannot be read as CSV ({exc})") from None
    if not rows:
        raise LabelFileError(f"{path}: file is empty")
    header = [h.strip() for h in rows[0]]
    records = []
    for row in rows[1:]:
        row = row + [""] * (len(header) - len(row))
        records.append({name: row[k].strip() for k, name in enumerate(header)})
    return header, records


def require_columns(path: PathLike, header: Sequence[str], columns: Sequence[str]) -> None:
    """Raises LabelFileError naming the missing columns."""
    missing = [c for c in columns if c not in header]
    if missing:
        raise LabelFileError(f"{path}: missing column(s) {missing}; header is {list(header)}")


def read_label_table(path: PathLike, columns: Sequence[str], *,
                     id_column: str = "case_id") -> dict[str, dict[str, Optional[float]]]:
    """``{case: {column: 0/1/None}}`` from a CSV with one row per case.

    Raises:
        LabelFileError: missing file/column, empty or duplicated id, or a value that is not 0/1/empty;
            the message names the file, line and case.
    """
    header, records = read_csv_rows(path)
    require_columns(path, header, [id_column, *columns])
    table: dict[str, dict[str, Optional[float]]] = {}
    for line_no, record in enumerate(records, start=2):
        case_id = record[id_column]
        if not case_id:
            raise LabelFileError(f"{path}, line {line_no}: empty {id_column}")
        if case_id in table:
            raise LabelFileError(f"{path}, line {line_no}: case '{case_id}' appears more than once")
        values = {}
        for name in columns:
            try:
                values[name] = parse_label_value(record[name], lenient=True)
            except ValueError:
                raise LabelFileError(
                    f"{path}, line {line_no}: case '{case_id}', column '{name}' has value {record[name]!r}; "
                    "allowed are 0, 1 or empty (unknown)"
                ) from None
        table[case_id] = values
    return table


def read_rle_csv(path: PathLike, id_column: str, rle_column: str = "EncodedPixels",
                 strip_id_suffixes: Sequence[str] = (".dcm",)) -> dict[str, list[str]]:
    """``{image id: [RLE of each row]}`` from a Kaggle-style CSV (several rows per image allowed).

    Ids are stripped of ``strip_id_suffixes`` (CANDID-PTX lists some ids with ``.dcm``); the
    header may have spaces after commas (SIIM's ``ImageId, EncodedPixels``).

    Raises:
        LabelFileError: missing file or column, or an empty id.
    """
    header, records = read_csv_rows(path)
    require_columns(path, header, [id_column, rle_column])
    table: dict[str, list[str]] = {}
    for line_no, record in enumerate(records, start=2):
        image_id = clean_image_id(record[id_column], strip_id_suffixes)
        if not image_id:
            raise LabelFileError(f"{path}, line {line_no}: empty {id_column}")
        table.setdefault(image_id, []).append(record[rle_column])
    return table


def clean_image_id(value: str, strip_suffixes: Sequence[str] = (".dcm",)) -> str:
    """An image id without surrounding spaces and without a file ending such as ``.dcm``."""
    value = str(value).strip()
    for suffix in strip_suffixes:
        if value.lower().endswith(suffix.lower()):
            return value[: -len(suffix)]
    return value
