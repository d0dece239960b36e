"""Calibration through evaluate_predictions: Brier/ECE vs scikit-learn and by hand, CIs, ranking scores, diagram."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss

from segcls3d.evaluate import EvaluationResult, evaluate_predictions, format_table, plot_reliability_result
from segcls3d.evaluate.calibration_result import RANKING_NOTE, SINGLE_CLASS_NOTE
from segcls3d.labels import CaseLabels


def _result(n=60, n_bootstrap=300, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    prob = np.clip(0.3 + 0.4 * y + 0.3 * rng.standard_normal(n), 0, 1)  # over-confident-ish, far from perfect
    cases = [f"c{i:02d}" for i in range(n)]
    df = pd.DataFrame({"case_id": cases, "lesion_probability": prob, "lesion_head_probability": rng.random(n),
                       "vol_probability": 50 * prob, "rare_probability": prob})  # vol: soft_volume rank
    labels = CaseLabels({c: [v, v, 0] for c, v in zip(cases, y)}, ["lesion", "vol", "rare"])
    with pytest.warns(UserWarning, match="rare"):
        result = evaluate_predictions(df, labels, n_bootstrap=n_bootstrap, seed=seed, ranking_classes={"vol"},
                                      calibration_bins=5)
    return result, df, y


def _hand_ece(y, p, n_bins):
    """sum_b n_b / N * |mean(y in b) - mean(p in b)| with bins (k/n, (k+1)/n], written out plainly."""
    total = 0.0
    for k in range(n_bins):
        lo, hi = k / n_bins, (k + 1) / n_bins
        inside = ((p > lo) | (k == 0)) & (p <= hi)
        if inside.any():
            total += inside.sum() / p.size * abs(y[inside].mean() - p[inside].mean())
    return total


def test_brier_and_ece_numbers_and_cis():
    result, df, y = _result()
    cal = result.classes["lesion"].sources["summarizer"].calibration
    p = df.lesion_probability.to_numpy()
    assert (cal.score_kind, cal.n_bins, cal.note, cal.available) == ("probability", 5, None, True)
    assert cal.brier.value == pytest.approx(brier_score_loss(y, p))
    assert cal.ece.value == pytest.approx(_hand_ece(y, p, 5))
    assert cal.brier.ci_lower < cal.brier.value < cal.brier.ci_upper
    assert cal.ece.ci_lower < cal.ece.value < cal.ece.ci_upper
    assert [b.n for b in cal.bins] == np.bincount(np.searchsorted([0.2, 0.4, 0.6, 0.8], p), minlength=5).tolist()
    prob_true, prob_pred = calibration_curve(y, p, n_bins=5)
    assert [b.observed_frequency for b in cal.bins if b.n] == pytest.approx(prob_true)
    assert [b.mean_predicted for b in cal.bins if b.n] == pytest.approx(prob_pred)
    head = result.classes["lesion"].sources["head"].calibration
    assert head.brier.value == pytest.approx(brier_score_loss(y, df.lesion_head_probability))


def test_same_seed_same_interval_and_no_bootstrap():
    a, _, _ = _result(seed=4)
    b, _, _ = _result(seed=4)
    calibration = a.classes["lesion"].sources["summarizer"].calibration
    assert calibration == b.classes["lesion"].sources["summarizer"].calibration
    none, _, _ = _result(n_bootstrap=0)
    ece = none.classes["lesion"].sources["summarizer"].calibration.ece
    assert ece.value is not None and (ece.ci_lower, ece.ci_upper) == (None, None)


def test_ranking_and_single_class_say_why(tmp_path):
    result, _, _ = _result()
    vol = result.classes["vol"].sources["summarizer"].calibration
    assert (vol.score_kind, vol.note, vol.brier.value, vol.ece.value, vol.bins) == (
        "ranking", RANKING_NOTE, None, None, ())
    assert result.classes["rare"].sources["summarizer"].calibration.note == SINGLE_CLASS_NOTE
    table = format_table(result)
    assert "Calibration" in table and "n/a (ranking score)" in table and "n/a (one label value)" in table
    d = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert d["classes"]["vol"]["sources"]["summarizer"]["calibration"]["note"] == "n/a (ranking score)"
    assert EvaluationResult.from_dict(d).to_dict() == d


def test_reliability_diagram_is_a_png(tmp_path):
    result, _, _ = _result(n_bootstrap=0)
    path = plot_reliability_result(result, tmp_path / "plots" / "reliability.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert [p.name for p in path.parent.iterdir()] == ["reliability.png"]  # no temporary file left


def test_bad_number_of_bins():
    df = pd.DataFrame({"case_id": ["a", "b"], "lesion_probability": [0.2, 0.8]})
    with pytest.raises(ValueError, match="calibration_bins"):
        evaluate_predictions(df, CaseLabels({"a": [0], "b": [1]}, ["lesion"]), calibration_bins=0)
