"""What a calibrator is: a fitted map from an image-level score to a probability, saved as JSON numbers.

A calibrator has ``method``, ``probability(scores) -> np.ndarray`` and ``to_dict()`` (with a
``"method"`` key and its fitted parameters as plain numbers, never a pickle); each method's class
has ``fit(scores, y)`` and ``from_dict(d)``. Scores are one number per case (higher = more likely
positive); labels are 0/1.
"""
from __future__ import annotations

import math
from typing import Any, Protocol, Sequence, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike

METHOD_KEY = "method"


@runtime_checkable
class Calibrator(Protocol):
    """A fitted score -> probability map."""

    method: str

    def probability(self, scores: ArrayLike) -> np.ndarray:
        """Calibrated probabilities in [0, 1], one per score."""
        ...

    def to_dict(self) -> dict:
        """JSON-serialisable parameters including the ``"method"`` key."""
        ...


def check_scores(scores: ArrayLike, what: str = "scores") -> np.ndarray:
    """``scores`` as a 1-D float64 array.

    Raises:
        ValueError: a value is not finite.
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    if not np.isfinite(s).all():
        raise ValueError(f"{what} must be finite numbers")
    return s


def check_fit_inputs(scores: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Scores and 0/1 labels of the cases to fit on, as 1-D float64 arrays.

    Raises:
        ValueError: no case, different lengths, labels other than 0/1, or scores not finite.
    """
    s = check_scores(scores)
    labels = np.asarray(y, dtype=np.float64).ravel()
    if s.size != labels.size:
        raise ValueError(f"{s.size} scores but {labels.size} labels")
    if s.size == 0:
        raise ValueError("a calibrator needs at least one case")
    if not np.isin(labels, (0.0, 1.0)).all():
        raise ValueError("calibration labels must be 0 or 1")
    return s, labels


def number_list(d: dict, key: str, method: str) -> list[float]:
    """A list of finite numbers stored under ``key`` of a calibrator's dict.

    Raises:
        ValueError: the key is missing or holds something else.
    """
    values = d.get(key)
    if not isinstance(values, Sequence) or isinstance(values, str) or not values:
        raise ValueError(f"{method} calibrator: {key!r} must be a non-empty list of numbers, got {values!r}")
    if not all(_is_finite_number(v) for v in values):
        raise ValueError(f"{method} calibrator: {key!r} holds a value that is not a finite number")
    return [float(v) for v in values]


def finite_number(d: dict, key: str, method: str) -> float:
    """One finite number stored under ``key``.

    Raises:
        ValueError: the key is missing or not a finite number.
    """
    if not _is_finite_number(d.get(key)):
        raise ValueError(f"{method} calibrator: {key!r} must be a finite number, got {d.get(key)!r}")
    return float(d[key])


def check_keys(d: dict, expected: Sequence[str], method: str) -> None:
    """Refuse missing or unknown keys.

    Raises:
        ValueError: names them.
    """
    missing = sorted(set(expected) - set(d))
    unknown = sorted(set(d) - set(expected) - {METHOD_KEY})
    if missing or unknown:
        raise ValueError(f"{method} calibrator: missing keys {missing}, unknown keys {unknown}")


def _is_finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
