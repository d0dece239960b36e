"""Isotonic calibration: scikit-learn's ``IsotonicRegression(increasing=True, out_of_bounds="clip")``.

A non-decreasing map, piecewise linear between knots. The file stores the knots
(scikit-learn's ``X_thresholds_`` / ``y_thresholds_``) as ``x_thresholds`` / ``y_thresholds``; loading
refits IsotonicRegression on them, which keeps them as they are (already non-decreasing and reduced),
so the loaded map equals the fitted one. Scores beyond the end knots get the end values.

Example:
    >>> c = IsotonicCalibrator.fit([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1])
    >>> c.probability([0.0, 0.25, 0.9]).tolist()
    [0.0, 0.5, 1.0]
    >>> IsotonicCalibrator.from_dict(c.to_dict()).probability([0.15]).round(6).tolist()
    [0.25]
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from numpy.typing import ArrayLike
from sklearn.isotonic import IsotonicRegression

from segcls3d.summarize.calibrators.base import METHOD_KEY, check_fit_inputs, check_keys, check_scores, number_list


def _regression() -> IsotonicRegression:
    return IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")


class IsotonicCalibrator:
    """Non-decreasing score -> probability map fitted by isotonic regression (pool adjacent violators)."""

    method = "isotonic"

    def __init__(self, regression: IsotonicRegression):
        self.regression = regression

    @classmethod
    def fit(cls, scores: ArrayLike, y: ArrayLike) -> "IsotonicCalibrator":
        """Fit on scores and 0/1 labels.

        Raises:
            ValueError: see :func:`~segcls3d.summarize.calibrators.base.check_fit_inputs`.
        """
        s, labels = check_fit_inputs(scores, y)
        return cls(_regression().fit(s, labels))

    @property
    def x_thresholds(self) -> np.ndarray:
        return self.regression.X_thresholds_

    @property
    def y_thresholds(self) -> np.ndarray:
        return self.regression.y_thresholds_

    def probability(self, scores: ArrayLike) -> np.ndarray:
        return np.clip(self.regression.predict(check_scores(scores)), 0.0, 1.0)

    def to_dict(self) -> dict:
        return {METHOD_KEY: self.method, "x_thresholds": [float(v) for v in self.x_thresholds],
                "y_thresholds": [float(v) for v in self.y_thresholds]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "IsotonicCalibrator":
        """Rebuild from :meth:`to_dict`.

        Raises:
            ValueError: missing/unknown keys, lists of different lengths, x not increasing, y not
                non-decreasing or outside [0, 1].
        """
        d = dict(d)
        check_keys(d, ("x_thresholds", "y_thresholds"), cls.method)
        x = np.asarray(number_list(d, "x_thresholds", cls.method))
        y = np.asarray(number_list(d, "y_thresholds", cls.method))
        if x.size != y.size:
            raise ValueError(f"isotonic calibrator: {x.size} x_thresholds but {y.size} y_thresholds")
        if np.any(np.diff(x) <= 0) or np.any(np.diff(y) < 0) or y.min() < 0 or y.max() > 1:
            raise ValueError("isotonic calibrator: x_thresholds must increase and y_thresholds must be "
                             "non-decreasing values in [0, 1]")
        return cls(_regression().fit(x, y))
