"""Robust windowing: the 1st-99th percentile span maps to [0, 1], outliers and NaN do not wash it out."""
from __future__ import annotations

import numpy as np
import pytest

from segcls3d.predict.windowing import window


def test_percentiles_map_to_black_and_white():
    image = np.arange(101.0).reshape(1, 101)
    out = window(image)
    assert out.dtype == np.float32 and out.shape == (1, 101)
    assert out[0, [0, 1, 50, 99, 100]].tolist() == [0.0, 0.0, 0.5, 1.0, 1.0]
    assert window(image, 0, 100)[0, 25] == pytest.approx(0.25)


def test_a_single_bright_outlier_does_not_change_the_contrast():
    rng = np.random.default_rng(1)
    ct = rng.normal(40.0, 10.0, size=(64, 64))
    spiked = ct.copy()
    spiked[0, 0] = 3000.0  # metal
    a, b = window(ct), window(spiked)
    assert np.abs(a - b)[1:, 1:].max() < 0.02
    assert b[0, 0] == 1.0 and np.median(b) == pytest.approx(0.5, abs=0.05)


def test_flat_nan_and_bad_arguments():
    assert not window(np.full((4, 4), 7.0)).any()
    image = np.array([[np.nan, 0.0], [np.inf, 10.0]])
    assert window(image, 0, 100).tolist() == [[0.0, 0.0], [0.0, 1.0]]
    assert not window(np.full((2, 2), np.nan)).any()
    for low, high in ((50, 50), (-1, 99), (1, 101)):
        with pytest.raises(ValueError, match="low < high"):
            window(np.zeros(3), low, high)
