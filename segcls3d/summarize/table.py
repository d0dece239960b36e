"""classification.csv: one row per case, the per-class summaries (and head outputs) as columns.

Columns (SPEC): ``case_id``, then per class ``<class>_probability``, ``<class>_label``,
``<class>_volume_mm3``, ``<class>_components``, ``<class>_centroid_voxel`` ("z y x"),
``<class>_centroid_world`` ("x y z" mm); with a classification head also
``<class>_head_probability`` and ``<class>_head_label``. Centroids are space-separated numbers
rounded to 2 decimals, empty when the class has no component. A calibrated summarizer adds
``<class>_score`` after ``<class>_probability``: the raw score, with the calibrated probability in
``<class>_probability``.
"""
from __future__ import annotations

import csv
import logging
import math
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence, Union

import pandas as pd

from segcls3d.errors import InputDataError
from segcls3d.io import atomic_path
from segcls3d.summarize.base import ClassSummary

logger = logging.getLogger(__name__)

CASE_ID_COLUMN = "case_id"
CLASSIFICATION_CSV = "classification.csv"
SUMMARY_FIELDS = ("probability", "label", "volume_mm3", "components", "centroid_voxel", "centroid_world")
HEAD_FIELDS = ("head_probability", "head_label")
SCORE_FIELD = "score"  # raw score of a calibrated summarizer
CENTROID_FIELDS = ("centroid_voxel", "centroid_world")


def format_centroid(centroid: Optional[Sequence[float]]) -> str:
    """``(z, y, x)`` -> ``"z y x"`` with 2 decimals; None -> ``""``."""
    if centroid is None:
        return ""
    return " ".join(f"{float(v):.2f}" for v in centroid)


def parse_centroid(text: Any) -> Optional[tuple[float, ...]]:
    """Inverse of :func:`format_centroid`: ``"1.00 2.50 3.00"`` -> ``(1.0, 2.5, 3.0)``; empty/NaN -> None."""
    if text is None or (isinstance(text, float) and math.isnan(text)) or not str(text).strip():
        return None
    return tuple(float(v) for v in str(text).split())


def summary_row(
    case_id: str,
    summaries: Mapping[str, ClassSummary],
    head_probabilities: Optional[Mapping[str, float]] = None,
    head_threshold: float = 0.5,
) -> dict:
    """One classification.csv row.

    Class order: the order of ``summaries``, then classes that only the head predicts
    (classification-only classes without segmentation labels); their segmentation columns are
    None (empty in the CSV). With ``head_probabilities`` every class gets the two head columns
    (None where the head has no output for it); ``head_label = int(p >= head_threshold)``.

    Example:
        >>> s = ClassSummary(0.8, 1, 12.5, 1, (1.0, 2.0, 3.0), None)
        >>> summary_row("c1", {"tumour": s}, {"tumour": 0.4})["tumour_head_label"]
        0
    """
    row: dict[str, Any] = {CASE_ID_COLUMN: str(case_id)}
    head = dict(head_probabilities) if head_probabilities is not None else None
    classes = list(summaries) + [c for c in (head or {}) if c not in summaries]
    for name in classes:
        summary = summaries.get(name)
        if summary is None:
            row.update({f"{name}_{field}": None for field in SUMMARY_FIELDS})
        else:
            row[f"{name}_probability"] = float(summary.probability)
            if summary.score is not None:
                row[f"{name}_{SCORE_FIELD}"] = float(summary.score)
            row[f"{name}_label"] = int(summary.label)
            row[f"{name}_volume_mm3"] = float(summary.volume_mm3)
            row[f"{name}_components"] = int(summary.components)
            row[f"{name}_centroid_voxel"] = format_centroid(summary.centroid_voxel)
            row[f"{name}_centroid_world"] = format_centroid(summary.centroid_world)
        if head is not None:
            row.update(head_columns(name, head.get(name), head_threshold))
    return row


def head_columns(class_name: str, probability: Optional[float], threshold: float = 0.5) -> dict[str, Any]:
    """The :data:`HEAD_FIELDS` columns of one class: the head's probability and ``int(p >= threshold)``.

    Example:
        >>> head_columns("tumour", 0.7)
        {'tumour_head_probability': 0.7, 'tumour_head_label': 1}
    """
    p = None if probability is None else float(probability)
    probability_field, label_field = HEAD_FIELDS
    return {f"{class_name}_{probability_field}": p,
            f"{class_name}_{label_field}": None if p is None else int(p >= threshold)}


def head_row(case_id: str, class_names: Sequence[str], probabilities: Sequence[float],
             threshold: float = 0.5) -> dict[str, Any]:
    """classification.csv row of a classifier without a mask: ``case_id`` and the head columns per class."""
    row: dict[str, Any] = {CASE_ID_COLUMN: str(case_id)}
    for name, p in zip(class_names, probabilities):
        row.update(head_columns(name, p, threshold))
    return row


def write_classification_csv(path: Union[str, Path], rows: Sequence[Mapping[str, Any]]) -> Path:
    """Write rows from :func:`summary_row` atomically.

    Columns: ``case_id``, then the other columns in the order of the first row; columns that only
    later rows have are appended (with a warning). Missing values and None/NaN are written empty.

    Raises:
        ValueError: a row has no ``case_id``.
    """
    columns: list[str] = [CASE_ID_COLUMN]
    for i, row in enumerate(rows):
        if CASE_ID_COLUMN not in row:
            raise ValueError(f"classification row {i} has no {CASE_ID_COLUMN!r}")
        new = [k for k in row if k not in columns]
        if new and i > 0:
            logger.warning("case %s adds columns missing in earlier rows: %s", row[CASE_ID_COLUMN], new)
        columns.extend(new)
    path = Path(path)
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(columns)
            for row in rows:
                writer.writerow([_cell(row.get(c)) for c in columns])
    return path


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def read_classification_csv(path: Union[str, Path]) -> pd.DataFrame:
    """Read a classification.csv: ``case_id`` as str, centroid columns as str ("" when empty).

    Raises:
        InputDataError: the file is missing, empty/unparsable, or has no ``case_id`` column.
    """
    path = Path(path)
    if not path.is_file():
        raise InputDataError(f"{path}: classification CSV not found")
    try:
        header = pd.read_csv(path, nrows=0).columns
        dtypes = {c: str for c in header if c == CASE_ID_COLUMN or c.endswith(CENTROID_FIELDS)}
        df = pd.read_csv(path, dtype=dtypes, keep_default_na=True)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputDataError(f"{path}: cannot read classification CSV ({exc})") from exc
    if CASE_ID_COLUMN not in df.columns:
        raise InputDataError(f"{path}: no {CASE_ID_COLUMN!r} column (columns: {list(df.columns)})")
    for column in df.columns:
        if column.endswith(CENTROID_FIELDS):
            df[column] = df[column].fillna("")
    return df
