"""Bootstrap CIs: contain the estimate, reproducible with the seed, single-class resamples skipped."""
from __future__ import annotations

import numpy as np
import pytest

from segcls3d.metrics.auroc import auroc_from_ranks, compute_auroc
from segcls3d.metrics.bootstrap import bootstrap_metrics, compute_percentile_interval


def _data(seed=0, n=120):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return y, rng.random(n) + 0.5 * y


def _auroc_stat(y, s):
    return {"auroc": lambda idx: auroc_from_ranks(y[idx], s[idx])}


def test_ci_contains_estimate_and_is_reproducible():
    y, s = _data()
    a = bootstrap_metrics(y, _auroc_stat(y, s), n_bootstrap=500, seed=7)
    b = bootstrap_metrics(y, _auroc_stat(y, s), n_bootstrap=500, seed=7)
    c = bootstrap_metrics(y, _auroc_stat(y, s), n_bootstrap=500, seed=8)
    ci = a.intervals["auroc"]
    assert ci.lower < compute_auroc(y, s) < ci.upper
    assert 0.05 < ci.upper - ci.lower < 0.4
    assert (ci.lower, ci.upper) == (b.intervals["auroc"].lower, b.intervals["auroc"].upper)
    assert (ci.lower, ci.upper) != (c.intervals["auroc"].lower, c.intervals["auroc"].upper)
    assert a.n_used == 500 and a.n_skipped_single_class == 0


def test_resamples_match_a_plain_numpy_loop():
    y, s = _data(1, 40)
    result = bootstrap_metrics(y, _auroc_stat(y, s), n_bootstrap=200, seed=3)
    rng = np.random.default_rng(3)
    idx = rng.integers(0, y.size, size=(200, y.size))
    values = [auroc_from_ranks(y[i], s[i]) for i in idx if 0 < y[i].sum() < y.size]
    lower, upper = np.quantile(values, [0.025, 0.975])
    assert result.intervals["auroc"].lower == pytest.approx(lower)
    assert result.intervals["auroc"].upper == pytest.approx(upper)


def test_single_class_resamples_are_skipped_and_counted():
    y = np.array([1] + [0] * 9)  # one positive: P(resample without it) = 0.9**10 ~ 0.35
    s = np.linspace(0, 1, 10)
    result = bootstrap_metrics(y, _auroc_stat(y, s), n_bootstrap=200, seed=0)
    assert result.n_used + result.n_skipped_single_class == 200
    assert 40 < result.n_skipped_single_class < 110
    assert result.intervals["auroc"].n_defined == result.n_used


def test_all_single_class_gives_nan_and_warning():
    y = np.ones(5)
    with pytest.warns(UserWarning, match="single class"):
        result = bootstrap_metrics(y, {"m": lambda idx: y[idx].mean(axis=1)}, n_bootstrap=10)
    assert np.isnan(result.intervals["m"].lower)


def test_percentile_interval_ignores_nan():
    ci = compute_percentile_interval(np.array([np.nan, 1.0, 2.0, 3.0]), level=0.5)
    assert (ci.lower, ci.upper, ci.n_defined) == (1.5, 2.5, 3)
