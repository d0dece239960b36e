"""``segcls3d evaluate --html``: the predictions page again, with each case's truth and outcome.

Example:
    >>> result = evaluate_predictions("preds/classification.csv", "labels.csv")  # doctest: +SKIP
    >>> write_evaluated_page("preds/index.html", "preds/classification.csv", "labels.csv", result)  # doctest: +SKIP
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Optional, Union

from segcls3d.evaluate.case_outcomes import case_outcomes
from segcls3d.evaluate.inputs import CLASSES_FILENAME, load_class_label_ids
from segcls3d.evaluate.result import EvaluationResult
from segcls3d.labels import CaseLabels
from segcls3d.predict.index_page import write_index_page

PathLike = Union[str, Path]


def read_rows(path: PathLike) -> list[dict[str, str]]:
    """The rows of a classification.csv as written (text; empty cells are ``""``)."""
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def write_evaluated_page(index: PathLike, predictions: PathLike, labels: Union[CaseLabels, PathLike],
                         result: EvaluationResult, classes_file: Optional[PathLike] = None) -> Path:
    """Write ``index`` listing every case of ``predictions`` with truth and TP/FP/TN/FN per class.

    Classes are ordered as in ``classes_file`` (default: classes.json next to ``predictions``; without
    one, as in ``result``); overlays are linked from ``index``'s folder (``overlays/<case>.png``).

    Raises:
        InputDataError, LabelFileError: see :func:`segcls3d.evaluate.evaluate_predictions`.
    """
    outcomes = case_outcomes(result, predictions, labels)
    classes_path = Path(classes_file) if classes_file else Path(predictions).parent / CLASSES_FILENAME
    classes = list(load_class_label_ids(classes_path)) if classes_path.is_file() else list(result.classes)
    return write_index_page(index, read_rows(predictions), classes, outcomes=outcomes)
