"""Per-epoch logging helpers: nnU-Net's EMA rule and NaN handling."""
from __future__ import annotations

import math

import pytest

from segcls3d.training.logging_keys import mean_known, moving_average

NAN = float("nan")


def test_moving_average_is_nnunets_rule():
    assert moving_average([], 0.6) == 0.6
    assert moving_average([0.6], 0.8) == pytest.approx(0.9 * 0.6 + 0.1 * 0.8)


def test_moving_average_skips_undefined_epochs():
    assert math.isnan(moving_average([], NAN))
    assert moving_average([0.5, NAN], NAN) == 0.5
    assert moving_average([0.5, NAN], 1.0) == pytest.approx(0.55)


def test_mean_known():
    assert mean_known([0.5, NAN, 1.0]) == 0.75
    assert math.isnan(mean_known([NAN]))
    assert math.isnan(mean_known([]))
