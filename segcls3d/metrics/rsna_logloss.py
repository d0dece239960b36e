"""RSNA 2022 Cervical Spine Fracture Detection metric: weighted binary log loss.

Every (study, target) pair is one row; targets are C1..C7 and ``patient_overall``. A row of a
vertebra weighs 1 if negative and 2 if positive, a ``patient_overall`` row 7 / 14. The score is
``sum(w * logloss) / sum(w)`` over all rows, with probabilities clipped to [1e-15, 1 - 1e-15].
Rows with an unknown (NaN) label are left out.

Example:
    >>> import numpy as np
    >>> y = np.zeros((1, 8)); p = np.full((1, 8), 0.5)
    >>> round(compute_rsna_logloss(y, p).score, 6)
    0.693147
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Mapping, Optional, Sequence

import numpy as np

__all__ = ["RSNA_TARGETS", "RSNA_WEIGHTS", "RsnaLoglossResult", "compute_rsna_logloss", "rsna_sample_weights"]

RSNA_TARGETS: tuple[str, ...] = ("C1", "C2", "C3", "C4", "C5", "C6", "C7", "patient_overall")
#: target -> (weight if negative, weight if positive)
RSNA_WEIGHTS: dict[str, tuple[float, float]] = {
    **{f"C{i}": (1.0, 2.0) for i in range(1, 8)},
    "patient_overall": (7.0, 14.0),
}
EPS = 1e-15


@dataclass(frozen=True)
class RsnaLoglossResult:
    """Competition score plus the weighted log loss of each target alone."""

    score: float
    per_target: dict[str, float] = field(default_factory=dict)
    n_cases: int = 0
    n_pairs: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def rsna_sample_weights(y_true: np.ndarray, targets: Sequence[str] = RSNA_TARGETS,
                        weights: Optional[Mapping[str, tuple[float, float]]] = None) -> np.ndarray:
    """Per-pair weights, shape like ``y_true`` ``(n_cases, n_targets)``.

    Raises:
        ValueError: a target without a weight.
    """
    weights = RSNA_WEIGHTS if weights is None else weights
    missing = [t for t in targets if t not in weights]
    if missing:
        raise ValueError(f"no RSNA weight for target(s) {missing}")
    neg = np.array([weights[t][0] for t in targets], dtype=float)
    pos = np.array([weights[t][1] for t in targets], dtype=float)
    y_true = np.asarray(y_true, dtype=float)
    return np.where(y_true == 1, pos, neg)


def compute_rsna_logloss(y_true: np.ndarray, y_prob: np.ndarray, targets: Sequence[str] = RSNA_TARGETS,
                         weights: Optional[Mapping[str, tuple[float, float]]] = None) -> RsnaLoglossResult:
    """Weighted log loss of the RSNA 2022 competition.

    Args:
        y_true: labels ``(n_cases, n_targets)``, 0/1 or NaN (unknown, pair left out).
        y_prob: predicted probabilities, same shape.
        targets: target names of the columns, default C1..C7, patient_overall.
        weights: target -> (negative weight, positive weight); default the competition's.

    Returns NaN when no pair has a known label.

    Raises:
        ValueError: shape mismatch, labels other than 0/1/NaN, or NaN probabilities for known labels.
    """
    y_true = np.asarray(y_true, dtype=float)
    y_prob = np.asarray(y_prob, dtype=float)
    if y_true.ndim != 2 or y_true.shape != y_prob.shape or y_true.shape[1] != len(targets):
        raise ValueError(f"expected y_true and y_prob of shape (n_cases, {len(targets)}), "
                         f"got {y_true.shape} and {y_prob.shape}")
    known = ~np.isnan(y_true)
    if not np.isin(y_true[known], (0.0, 1.0)).all():
        raise ValueError("y_true must contain only 0, 1 or NaN")
    if not np.isfinite(y_prob[known]).all():
        raise ValueError("y_prob has NaN or infinite values where the label is known")
    w = np.where(known, rsna_sample_weights(np.nan_to_num(y_true), targets, weights), 0.0)
    p = np.clip(np.where(known, y_prob, 0.5), EPS, 1.0 - EPS)
    y = np.nan_to_num(y_true)
    loss = -(y * np.log(p) + (1.0 - y) * np.log1p(-p))
    with np.errstate(invalid="ignore", divide="ignore"):
        per_target = (w * loss).sum(axis=0) / w.sum(axis=0)
        score = float((w * loss).sum() / w.sum()) if w.sum() > 0 else float("nan")
    return RsnaLoglossResult(
        score=score,
        per_target={t: float(v) for t, v in zip(targets, per_target)},
        n_cases=int(known.any(axis=1).sum()),
        n_pairs=int(known.sum()),
    )
