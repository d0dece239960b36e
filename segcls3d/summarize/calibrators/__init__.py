"""Calibrators: maps from a summarizer's image-level score to a calibrated probability.

Fit one per class with :func:`fit_calibrator` (``isotonic`` or ``platt``), store ``to_dict()`` in a
summarizer file and rebuild it with :func:`calibrator_from_dict`.

Example:
    >>> c = fit_calibrator("platt", [0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])
    >>> calibrator_from_dict(c.to_dict()).probability([0.9]).round(6).tolist() == c.probability([0.9]).round(6).tolist()
    True
"""
from __future__ import annotations

from typing import Any, Mapping

from numpy.typing import ArrayLike

from segcls3d.summarize.calibrators.base import METHOD_KEY, Calibrator
from segcls3d.summarize.calibrators.isotonic import IsotonicCalibrator
from segcls3d.summarize.calibrators.platt import PlattCalibrator

CALIBRATORS = {"isotonic": IsotonicCalibrator, "platt": PlattCalibrator}
CALIBRATION_METHODS = tuple(CALIBRATORS)


def fit_calibrator(method: str, scores: ArrayLike, y: ArrayLike) -> Calibrator:
    """Fit a ``method`` calibrator (one of :data:`CALIBRATION_METHODS`) on scores and 0/1 labels.

    Raises:
        ValueError: unknown method or invalid inputs.
    """
    if method not in CALIBRATORS:
        raise ValueError(f"unknown calibration method {method!r}; choose one of {CALIBRATION_METHODS}")
    return CALIBRATORS[method].fit(scores, y)


def calibrator_from_dict(d: Mapping[str, Any]) -> Calibrator:
    """Rebuild a calibrator from its ``to_dict()``.

    Raises:
        ValueError: no or an unknown ``"method"``, or invalid parameters.
    """
    method = d.get(METHOD_KEY) if isinstance(d, Mapping) else None
    if method not in CALIBRATORS:
        raise ValueError(f"calibrator settings need a {METHOD_KEY!r} in {CALIBRATION_METHODS}, got {method!r}")
    return CALIBRATORS[method].from_dict(d)


__all__ = ["CALIBRATION_METHODS", "CALIBRATORS", "Calibrator", "IsotonicCalibrator", "PlattCalibrator",
           "calibrator_from_dict", "fit_calibrator"]
