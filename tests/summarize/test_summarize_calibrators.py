"""Calibrators (isotonic, Platt) on scores with a known score -> probability map, and their JSON round trip."""
from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.special import expit

from segcls3d.summarize.calibrators import (
    CALIBRATION_METHODS,
    IsotonicCalibrator,
    PlattCalibrator,
    calibrator_from_dict,
    fit_calibrator,
)


def _squared(seed: int, n: int = 20000) -> tuple[np.ndarray, np.ndarray]:
    """Scores s ~ U(0, 1) with P(y = 1 | s) = s^2."""
    rng = np.random.default_rng(seed)
    s = rng.uniform(size=n)
    return s, (rng.uniform(size=n) < s**2).astype(float)


def _logit_linear(seed: int, a: float, b: float, n: int = 20000) -> tuple[np.ndarray, np.ndarray]:
    """Scores x ~ N(0, 2) with P(y = 1 | x) = sigmoid(a x + b)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 2.0, n)
    return x, (rng.uniform(size=n) < expit(a * x + b)).astype(float)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_isotonic_recovers_s_squared(seed):
    s, y = _squared(seed)
    calibrator = IsotonicCalibrator.fit(s, y)
    grid = np.linspace(0.05, 0.95, 91)
    error = np.abs(calibrator.probability(grid) - grid**2)
    assert error.mean() < 0.025 and error.max() < 0.08, (error.mean(), error.max())
    assert np.all(np.diff(calibrator.probability(grid)) >= 0)  # non-decreasing
    assert calibrator.probability([-5.0, 7.0]).tolist() == [calibrator.y_thresholds[0], calibrator.y_thresholds[-1]]


@pytest.mark.parametrize("seed, a, b, shift, scale", [
    (0, 3.0, -1.0, 0.0, 1.0),
    (1, 1.5, 0.5, 0.0, 1.0),
    (2, 3.0, -1.0, 5000.0, 1000.0),  # a soft_volume-like scale (mm^3): fitted on standardized scores
])
def test_platt_recovers_logit_linear_coefficients(seed, a, b, shift, scale):
    x, y = _logit_linear(seed, a, b)
    calibrator = PlattCalibrator.fit(scale * x + shift, y)
    coef, intercept = calibrator.coef * scale, calibrator.intercept + calibrator.coef * shift  # back to x's scale
    assert coef == pytest.approx(a, abs=0.15) and intercept == pytest.approx(b, abs=0.1)
    z = np.array([-1.0, 0.0, 0.7])
    np.testing.assert_allclose(calibrator.probability(scale * z + shift), expit(a * z + b), atol=0.03)


def test_platt_stays_finite_on_separable_scores():
    calibrator = PlattCalibrator.fit([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])
    assert np.isfinite([calibrator.coef, calibrator.intercept]).all()
    low, high = calibrator.probability([0.1, 0.9])
    assert 0.1 < low < 0.5 < high < 0.9  # Platt's targets 1/4 and 3/4 keep it away from 0 and 1
    assert low + high == pytest.approx(1.0)


@pytest.mark.parametrize("method", CALIBRATION_METHODS)
def test_json_round_trip_gives_the_same_probabilities(method):
    s, y = _squared(3, n=2000)
    calibrator = fit_calibrator(method, s, y)
    text = json.dumps(calibrator.to_dict())
    again = calibrator_from_dict(json.loads(text))
    assert type(again) is type(calibrator) and again.to_dict() == calibrator.to_dict()
    probe = np.r_[-1.0, np.linspace(0, 1, 101), 2.0]  # beyond the fitted range too
    np.testing.assert_allclose(again.probability(probe), calibrator.probability(probe), rtol=0, atol=1e-12)
    assert all(isinstance(v, float) for value in json.loads(text).values() if isinstance(value, list) for v in value)


def test_isotonic_of_one_distinct_score_is_its_frequency():
    calibrator = IsotonicCalibrator.fit([0.3] * 5, [0, 1, 1, 0, 1])
    assert calibrator.probability([0.0, 0.3, 1.0]).tolist() == pytest.approx([0.6] * 3)
    assert IsotonicCalibrator.from_dict(calibrator.to_dict()).probability([0.9]).tolist() == pytest.approx([0.6])


@pytest.mark.parametrize("settings, message", [
    ({"method": "isotonic", "x_thresholds": [0.1, 0.2]}, "missing keys ['y_thresholds']"),
    ({"x_thresholds": [0.1, 0.2], "y_thresholds": [0.0, 1.0]}, "need a 'method'"),
    ({"method": "isotonic", "x_thresholds": [0.2, 0.1], "y_thresholds": [0.0, 1.0]}, "x_thresholds must increase"),
    ({"method": "isotonic", "x_thresholds": [0.1, 0.2], "y_thresholds": [1.0, 0.0]}, "non-decreasing"),
    ({"method": "isotonic", "x_thresholds": [0.1], "y_thresholds": [0.1, 0.2]}, "1 x_thresholds but 2"),
    ({"method": "isotonic", "x_thresholds": [0.1, "a"], "y_thresholds": [0.0, 1.0]}, "not a finite number"),
    ({"method": "platt", "coef": float("nan"), "intercept": 0.0}, "'coef' must be a finite number"),
    ({"method": "platt", "coef": 1.0, "intercept": 0.0, "pickle": "gASV"}, "unknown keys ['pickle']"),
    ({"method": "beta"}, "'method' in ('isotonic', 'platt')"),
])
def test_invalid_settings_are_refused(settings, message):
    with pytest.raises(ValueError) as info:
        calibrator_from_dict(settings)
    assert message in str(info.value)


@pytest.mark.parametrize("scores, labels, message", [
    ([0.1, 0.2], [0, 1, 1], "2 scores but 3 labels"),
    ([], [], "at least one case"),
    ([0.1, float("inf")], [0, 1], "finite"),
    ([0.1, 0.2], [0, 2], "0 or 1"),
])
def test_invalid_fit_inputs_are_refused(scores, labels, message):
    for method in CALIBRATION_METHODS:
        with pytest.raises(ValueError, match=message):
            fit_calibrator(method, scores, labels)
    with pytest.raises(ValueError, match="unknown calibration method"):
        fit_calibrator("beta", [0.1], [1])
