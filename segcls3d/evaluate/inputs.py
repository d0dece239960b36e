"""Read and align what evaluation needs: classification.csv, labels, class -> label ids.

classification.csv (written by ``segcls3d predict``) has ``case_id`` and, per class,
``<class>_probability`` / ``<class>_label`` (rule-based summarizer) and optionally
``<class>_head_probability`` / ``<class>_head_label`` (classification head).
"""
from __future__ import annotations

import csv
import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Union

import numpy as np
import pandas as pd

from segcls3d.errors import InputDataError, LabelFileError
from segcls3d.evaluate.score_kinds import RANKING_SCORES
from segcls3d.labels import CaseLabels

PathLike = Union[str, Path]
CASE_ID = "case_id"
CLASSES_FILENAME = "classes.json"
#: score source -> (probability column suffix, label column suffix)
SOURCES: dict[str, tuple[str, str]] = {
    "summarizer": ("_probability", "_label"),
    "head": ("_head_probability", "_head_label"),
}


@dataclass(frozen=True)
class SourceScores:
    """Scores of one class from one source, restricted to cases with a known label."""

    case_ids: list[str]
    y_true: np.ndarray
    y_score: np.ndarray
    y_label: Optional[np.ndarray]
    probability_column: str
    label_column: Optional[str]
    n_unknown_label: int
    n_missing_score: int


def load_predictions(predictions: Union[pd.DataFrame, PathLike]) -> tuple[pd.DataFrame, Optional[Path]]:
    """Return the predictions table (``case_id`` as str) and its path (None for a DataFrame).

    Raises:
        InputDataError: missing/unreadable file, no ``case_id`` column, duplicated case ids.
    """
    path: Optional[Path] = None
    if isinstance(predictions, pd.DataFrame):
        df = predictions.copy()
        source = "predictions table"
    else:
        path = Path(predictions)
        source = str(path)
        if not path.is_file():
            raise InputDataError(f"{path}: predictions file not found")
        try:
            df = pd.read_csv(path, dtype={CASE_ID: str}, keep_default_na=True)
        except (OSError, ValueError, pd.errors.ParserError) as exc:
            raise InputDataError(f"{path}: cannot be read as CSV ({exc})") from None
    if CASE_ID not in df.columns:
        raise InputDataError(f"{source}: no '{CASE_ID}' column (columns are {list(df.columns)})")
    df[CASE_ID] = df[CASE_ID].astype(str).str.strip()
    dupes = sorted(set(df.loc[df[CASE_ID].duplicated(), CASE_ID]))
    if dupes:
        raise InputDataError(f"{source}: case(s) {dupes[:10]} appear more than once")
    return df.reset_index(drop=True), path


def predicted_classes(df: pd.DataFrame) -> list[str]:
    """Candidate class names: prefixes of ``*_probability`` and ``*_head_probability`` columns."""
    names: list[str] = []
    for col in df.columns:
        for suffix in (SOURCES["head"][0], SOURCES["summarizer"][0]):
            if col.endswith(suffix) and len(col) > len(suffix) and col[: -len(suffix)] not in names:
                names.append(col[: -len(suffix)])
    return names


def label_file_columns(path: PathLike) -> list[str]:
    """Class columns in the header of a labels CSV (full validation is left to CaseLabels).

    Raises:
        LabelFileError: the file is missing or unreadable.
    """
    path = Path(path)
    if not path.is_file():
        raise LabelFileError(f"{path}: labels file not found")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise LabelFileError(f"{path}: labels file cannot be read ({exc})") from None
    return [h.strip() for h in header if h.strip() and h.strip() != CASE_ID]


def resolve_labels(labels: Union[CaseLabels, PathLike], df: pd.DataFrame, source: str) -> tuple[CaseLabels, list[str]]:
    """Load labels for the classes present in both predictions and labels.

    Raises:
        InputDataError: no class is present in both.
        LabelFileError: see ``CaseLabels.load``.
    """
    candidates = predicted_classes(df)
    if isinstance(labels, CaseLabels):
        label_columns = list(labels.classes)
    else:
        label_columns = label_file_columns(labels)
    classes = [c for c in candidates if c in label_columns]
    if not classes:
        raise InputDataError(
            f"{source}: no class has both a '<class>_probability' (or '_head_probability') column and a "
            f"labels column; prediction classes {candidates}, label columns {label_columns}"
        )
    skipped = [c for c in candidates if c not in label_columns and not _is_head_alias(c, classes, df)]
    if skipped:
        warnings.warn(f"class(es) {skipped} have predictions but no labels column; not evaluated", UserWarning,
                      stacklevel=2)
    if not isinstance(labels, CaseLabels):
        labels = CaseLabels.load(labels, classes)
    return labels, classes


def _is_head_alias(name: str, classes: list[str], df: pd.DataFrame) -> bool:
    """``x_head`` candidates that only come from ``x_head_probability`` of class ``x``."""
    return name.endswith("_head") and name[: -len("_head")] in classes and f"{name}_probability" in df.columns


def score_columns(df: pd.DataFrame, class_name: str) -> dict[str, tuple[str, Optional[str]]]:
    """Score sources present for a class: source -> (probability column, label column or None).

    A probability column without any value (e.g. a head that has no output for this class) does
    not count as present.
    """
    found = {}
    for source, (prob_suffix, label_suffix) in SOURCES.items():
        prob, label = f"{class_name}{prob_suffix}", f"{class_name}{label_suffix}"
        if prob in df.columns and df[prob].notna().any():
            found[source] = (prob, label if label in df.columns else None)
    return found


def source_scores(df: pd.DataFrame, labels: CaseLabels, class_name: str, source: str, origin: str,
                  ranking: bool = False) -> SourceScores:
    """Arrays for one class and score source; unknown labels and missing (empty, NaN) scores are left out.

    Args:
        ranking: the column holds a ranking score (``soft_volume``) rather than a probability, so
            values outside [0, 1] are allowed.

    Raises:
        InputDataError: non-numeric or infinite scores, probabilities outside [0, 1], or a label
            column with values other than 0/1 (the message names the file, case and column).
    """
    prob_col, label_col = score_columns(df, class_name)[source]
    column = labels.column(class_name)
    truth = np.array([column.get(c, np.nan) for c in df[CASE_ID]], dtype=float)
    scores = _numeric(df, prob_col, origin)
    if not ranking:
        _check_probabilities(df, prob_col, scores, origin)
    known = ~np.isnan(truth)
    has_score = ~np.isnan(scores)
    if (known & ~has_score).any():
        missing = df.loc[known & ~has_score, CASE_ID].tolist()
        warnings.warn(f"{origin}: '{prob_col}' is empty for case(s) {missing[:10]}; left out", UserWarning,
                      stacklevel=2)
    keep = known & has_score
    y_label = None
    if label_col is not None:
        y_label = _numeric(df, label_col, origin)[keep]
        bad = ~np.isin(y_label, (0.0, 1.0))
        if bad.any():
            case = df.loc[keep, CASE_ID].tolist()[int(np.argmax(bad))]
            raise InputDataError(
                f"{origin}: case '{case}', column '{label_col}' is {y_label[bad][0]!r}; expected 0 or 1")
    return SourceScores(
        case_ids=df.loc[keep, CASE_ID].tolist(),
        y_true=truth[keep],
        y_score=scores[keep],
        y_label=y_label,
        probability_column=prob_col,
        label_column=label_col,
        n_unknown_label=int((~known).sum()),
        n_missing_score=int((known & ~has_score).sum()),
    )


def _numeric(df: pd.DataFrame, column: str, origin: str) -> np.ndarray:
    """The column as floats (empty/NaN stay NaN = missing).

    Raises:
        InputDataError: a value that is not a number, or is infinite.
    """
    values = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) & df[column].notna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise InputDataError(
            f"{origin}: case '{df[CASE_ID].iloc[i]}', column '{column}' is not a number: {df[column].iloc[i]!r}")
    infinite = np.isinf(values)
    if infinite.any():
        i = int(np.argmax(infinite))
        raise InputDataError(f"{origin}: case '{df[CASE_ID].iloc[i]}', column '{column}' is {float(values[i])}; "
                             "expected a finite number (leave the cell empty for a missing score)")
    return values


def _check_probabilities(df: pd.DataFrame, column: str, values: np.ndarray, origin: str) -> None:
    """Raise InputDataError naming the first case whose probability lies outside [0, 1]."""
    outside = (values < 0) | (values > 1)  # NaN compares False: missing scores pass
    if outside.any():
        i = int(np.argmax(outside))
        ranks = ", ".join(sorted(RANKING_SCORES))
        raise InputDataError(
            f"{origin}: case '{df[CASE_ID].iloc[i]}', column '{column}' is {float(values[i])}; probabilities must lie "
            f"in [0, 1] ({int(outside.sum())} value(s) outside). Only the summarizer score(s) {ranks} are ranks, "
            f"recognised from the summarizer settings in {CLASSES_FILENAME} next to the predictions")


def load_class_label_ids(path: PathLike) -> dict[str, list[int]]:
    """Read ``{"classes": {name: [label ids]}}`` (classes.json written by ``segcls3d predict``).

    Raises:
        InputDataError: missing or malformed file.
    """
    path = Path(path)
    if not path.is_file():
        raise InputDataError(
            f"{path}: classes file not found; mask metrics need class -> label ids "
            "(pass --classes JSON with {\"classes\": {\"<class>\": [label ids]}})"
        )
    try:
        block = json.loads(path.read_text()).get("classes")
        if not isinstance(block, Mapping):
            raise ValueError("no 'classes' mapping")
        return {str(k): [int(i) for i in v] for k, v in block.items()}
    except (ValueError, TypeError, AttributeError) as exc:
        raise InputDataError(f"{path}: expected {{\"classes\": {{\"<class>\": [label ids]}}}} ({exc})") from None
