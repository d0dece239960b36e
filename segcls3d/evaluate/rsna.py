"""RSNA 2022 cervical spine competition score of a classification.csv against its labels."""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Union

import numpy as np
import pandas as pd

from segcls3d.errors import InputDataError
from segcls3d.evaluate.inputs import CASE_ID, SOURCES, label_file_columns, load_predictions
from segcls3d.evaluate.result import RsnaEvaluation
from segcls3d.evaluate.source_result import optional_float
from segcls3d.labels import CaseLabels
from segcls3d.metrics.rsna_logloss import RSNA_TARGETS, compute_rsna_logloss

PathLike = Union[str, Path]


def evaluate_rsna(
    predictions: Union[pd.DataFrame, PathLike],
    labels: Union[CaseLabels, PathLike],
    score: str = "summarizer",
) -> RsnaEvaluation:
    """Weighted log loss over C1..C7 and patient_overall (see :mod:`segcls3d.metrics.rsna_logloss`).

    Args:
        predictions: classification.csv (path or DataFrame).
        labels: CaseLabels or classification_labels.csv.
        score: ``"summarizer"`` (``<target>_probability``) or ``"head"`` (``<target>_head_probability``).

    Prediction cases without a labels row are skipped with a warning; unknown labels are left out.

    Raises:
        ValueError: unknown ``score``.
        InputDataError: target columns missing from predictions or labels (all are listed), or
            non-numeric probabilities.
        LabelFileError: invalid labels file.
    """
    if score not in SOURCES:
        raise ValueError(f"score must be one of {list(SOURCES)}, got {score!r}")
    df, pred_path = load_predictions(predictions)
    origin = str(pred_path) if pred_path else "predictions table"
    columns = [f"{t}{SOURCES[score][0]}" for t in RSNA_TARGETS]
    missing_pred = [c for c in columns if c not in df.columns]
    label_columns = labels.classes if isinstance(labels, CaseLabels) else label_file_columns(labels)
    missing_labels = [t for t in RSNA_TARGETS if t not in label_columns]
    if missing_pred or missing_labels:
        parts = []
        if missing_pred:
            parts.append(f"{origin} lacks column(s) {missing_pred}")
        if missing_labels:
            parts.append(f"labels lack column(s) {missing_labels}")
        raise InputDataError("RSNA metric: " + "; ".join(parts))
    if not isinstance(labels, CaseLabels):
        labels = CaseLabels.load(labels, list(RSNA_TARGETS))
    labeled = df[CASE_ID].isin(set(labels.case_ids)).to_numpy()
    if not labeled.all():
        skipped = df.loc[~labeled, CASE_ID].tolist()
        warnings.warn(f"RSNA metric: {len(skipped)} case(s) without a labels row skipped: {skipped[:10]}",
                      UserWarning, stacklevel=2)
    df = df.loc[labeled]
    probs = df[columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(probs) & df[columns].notna().to_numpy()
    if bad.any():
        row, col = map(int, np.argwhere(bad)[0])
        raise InputDataError(f"{origin}: case '{df[CASE_ID].iloc[row]}', column '{columns[col]}' is not a number")
    index = [labels.classes.index(t) for t in RSNA_TARGETS]
    y_true = labels.batch(df[CASE_ID].tolist())[:, index].astype(float) if len(df) else np.zeros((0, len(index)))
    missing_prob = ~np.isnan(y_true) & np.isnan(probs)
    if missing_prob.any():
        case = df[CASE_ID].iloc[int(np.argwhere(missing_prob)[0][0])]
        raise InputDataError(f"{origin}: case '{case}' has an empty probability")
    result = compute_rsna_logloss(y_true, probs)
    return RsnaEvaluation(score_source=score, columns=tuple(columns), score=optional_float(result.score),
                          per_target={t: optional_float(v) for t, v in result.per_target.items()},
                          n_cases=result.n_cases, n_pairs=result.n_pairs)
