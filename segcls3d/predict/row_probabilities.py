"""Read a classification.csv row: each class's image-level probability and label, and the top class.

A class's probability is its summarizer column ``<class>_probability`` when the row has a value
there, else its head column ``<class>_head_probability`` (classifier models write only those).
Rows may come from :func:`segcls3d.summarize.summary_row` (numbers, None) or from the CSV (strings).

Example:
    >>> row = {"case_id": "c1", "a_probability": "0.2", "b_probability": 0.9, "b_label": 1}
    >>> class_probability(row, "a"), top_class(row, ["a", "b"]), class_label(row, "b")
    (0.2, 'b', 1)
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Optional, Sequence

from segcls3d.summarize.table import HEAD_FIELDS, SUMMARY_FIELDS

_SOURCES = ((SUMMARY_FIELDS[0], SUMMARY_FIELDS[1]), (HEAD_FIELDS[0], HEAD_FIELDS[1]))  # (probability, label)


def as_number(value: Any) -> float:
    """``float(value)``, or NaN for None, an empty string or text that is not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def probability_column(row: Mapping[str, Any], name: str) -> Optional[str]:
    """The column holding the probability of class ``name`` in ``row`` (summarizer first), or None."""
    for probability, _ in _SOURCES:
        column = f"{name}_{probability}"
        if not math.isnan(as_number(row.get(column))):
            return column
    return None


def class_probability(row: Mapping[str, Any], name: str) -> float:
    """The image-level probability of class ``name`` (NaN when the row has none)."""
    column = probability_column(row, name)
    return as_number(row[column]) if column is not None else math.nan


def class_label(row: Mapping[str, Any], name: str) -> Optional[int]:
    """The label (0/1) next to the probability :func:`class_probability` reads, or None."""
    column = probability_column(row, name)
    for probability, label in _SOURCES:
        if column == f"{name}_{probability}":
            value = as_number(row.get(f"{name}_{label}"))
            return None if math.isnan(value) else int(value)
    return None


def top_class(row: Mapping[str, Any], names: Sequence[str]) -> Optional[str]:
    """The class of highest probability (the first of ties); None when no class has one."""
    best, best_p = None, -math.inf
    for name in names:
        p = class_probability(row, name)
        if not math.isnan(p) and p > best_p:
            best, best_p = name, p
    return best
