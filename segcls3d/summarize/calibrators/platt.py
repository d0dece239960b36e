"""Platt scaling: probability = sigmoid(a * score + b), fitted by scikit-learn's ``LogisticRegression``.

As in Platt (1999) and scikit-learn's ``CalibratedClassifierCV(method="sigmoid")``, the 0/1 labels
become Platt's targets ``(n+ + 1) / (n+ + 2)`` and ``1 / (n- + 2)`` (each case enters once as a
positive and once as a negative, weighted by its target), so a and b stay finite even when the
scores separate the classes. The unpenalized fit runs on standardized scores (``soft_volume`` is in
mm^3); a (``coef``) and b (``intercept``) are stored on the raw score's scale and the calibrator is a
``LogisticRegression`` holding them.

Example:
    >>> c = PlattCalibrator(coef=2.0, intercept=-1.0)
    >>> c.probability([0.5]).tolist()
    [0.5]
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
from numpy.typing import ArrayLike
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from segcls3d.summarize.calibrators.base import METHOD_KEY, check_fit_inputs, check_keys, check_scores, finite_number


def platt_targets(y: np.ndarray) -> np.ndarray:
    """Platt's regularized targets for 0/1 labels."""
    n_pos = float(np.sum(y == 1))
    n_neg = float(y.size - n_pos)
    return np.where(y == 1, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))


class PlattCalibrator:
    """Logistic score -> probability map; ``coef`` and ``intercept`` on the raw score's scale."""

    method = "platt"

    def __init__(self, coef: float, intercept: float):
        self.coef = float(coef)
        self.intercept = float(intercept)
        self.regression = LogisticRegression()
        self.regression.classes_ = np.array([0, 1])
        self.regression.coef_ = np.array([[self.coef]])
        self.regression.intercept_ = np.array([self.intercept])
        self.regression.n_features_in_ = 1

    @classmethod
    def fit(cls, scores: ArrayLike, y: ArrayLike) -> "PlattCalibrator":
        """Fit a and b by maximum likelihood on Platt's targets.

        Raises:
            ValueError: see :func:`~segcls3d.summarize.calibrators.base.check_fit_inputs`.
        """
        s, labels = check_fit_inputs(scores, y)
        scaler = StandardScaler().fit(s[:, None])
        z = scaler.transform(s[:, None])
        target = platt_targets(labels)
        regression = LogisticRegression(C=np.inf, tol=1e-8, max_iter=1000).fit(
            np.concatenate([z, z]), np.r_[np.ones(s.size), np.zeros(s.size)], sample_weight=np.r_[target, 1 - target])
        a, b = float(regression.coef_[0, 0]), float(regression.intercept_[0])
        scale = float(scaler.scale_[0])
        return cls(coef=a / scale, intercept=b - a * float(scaler.mean_[0]) / scale)

    def probability(self, scores: ArrayLike) -> np.ndarray:
        return self.regression.predict_proba(check_scores(scores)[:, None])[:, 1]

    def to_dict(self) -> dict:
        return {METHOD_KEY: self.method, "coef": self.coef, "intercept": self.intercept}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "PlattCalibrator":
        """Rebuild from :meth:`to_dict`.

        Raises:
            ValueError: missing/unknown keys or values that are not finite numbers.
        """
        d = dict(d)
        check_keys(d, ("coef", "intercept"), cls.method)
        return cls(coef=finite_number(d, "coef", cls.method), intercept=finite_number(d, "intercept", cls.method))
