"""Per case and class: the truth, the call at the operating point evaluate chose, and TP/FP/TN/FN.

The operating point is the Youden threshold of the class's summarizer score (its head score when
the table has no summarizer column, as for classifiers), chosen by :func:`evaluate_predictions`
on all labeled cases; a case is called positive when its score is ``>=`` the threshold.

Example:
    >>> CaseOutcome(truth=0, predicted=1, threshold=0.4, source="summarizer").kind
    'FP'
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import numpy as np
import pandas as pd

from segcls3d.evaluate.inputs import CASE_ID, load_predictions, resolve_labels
from segcls3d.evaluate.result import EvaluationResult
from segcls3d.labels import CaseLabels

PathLike = Union[str, Path]
_KINDS = {(1, 1): "TP", (0, 1): "FP", (0, 0): "TN", (1, 0): "FN"}


@dataclass(frozen=True)
class CaseOutcome:
    """One case and class at the operating point: ``truth``/``predicted`` are 0, 1 or None (unknown)."""

    truth: Optional[int]
    predicted: Optional[int]
    threshold: Optional[float]
    source: str  # "summarizer" | "head"

    @property
    def kind(self) -> Optional[str]:
        """``"TP"``, ``"FP"``, ``"TN"``, ``"FN"``, or None when the truth or the call is unknown."""
        return _KINDS.get((self.truth, self.predicted))


def case_outcomes(result: EvaluationResult, predictions: Union[pd.DataFrame, PathLike],
                  labels: Union[CaseLabels, PathLike]) -> dict[str, dict[str, CaseOutcome]]:
    """``case -> class -> CaseOutcome`` for every predicted case and every class of ``result``.

    Cases without a label (or a score) get ``truth`` (or ``predicted``) None; so does every case of
    a class whose threshold is undefined (a single label value).

    Raises:
        InputDataError, LabelFileError: the files cannot be read (see :func:`evaluate_predictions`).
    """
    df, _ = load_predictions(predictions)
    with warnings.catch_warnings():  # classes without labels: evaluate_predictions has said so already
        warnings.simplefilter("ignore", UserWarning)
        case_labels, _ = resolve_labels(labels, df, "predictions")
    outcomes: dict[str, dict[str, CaseOutcome]] = {str(c): {} for c in df[CASE_ID]}
    for name, class_result in result.classes.items():
        if not class_result.sources or name not in case_labels.classes:
            continue
        source = "summarizer" if "summarizer" in class_result.sources else next(iter(class_result.sources))
        src = class_result.sources[source]
        threshold = src.youden.threshold
        scores = pd.to_numeric(df[src.probability_column], errors="coerce").to_numpy(dtype=float)
        truth = case_labels.column(name)
        for case, score in zip(df[CASE_ID], scores):
            known = truth.get(str(case), math.nan)
            called = None if threshold is None or np.isnan(score) else int(score >= threshold)
            outcomes[str(case)][name] = CaseOutcome(None if math.isnan(known) else int(known), called, threshold,
                                                    source)
    return outcomes
