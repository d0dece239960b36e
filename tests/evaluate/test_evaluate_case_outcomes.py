"""Per-case outcomes at evaluate's Youden operating point, checked against a hand-computed threshold."""
from __future__ import annotations

import pandas as pd
import pytest

from segcls3d.evaluate import evaluate_predictions
from segcls3d.evaluate.case_outcomes import CaseOutcome, case_outcomes
from segcls3d.labels import write_case_labels

SCORES = {"a": 0.9, "b": 0.8, "c": 0.6, "d": 0.55, "e": 0.3, "f": 0.1, "g": 0.7, "h": None}
TRUTH = {"a": 1, "b": 1, "c": 0, "d": 1, "e": 0, "f": 0, "g": None, "h": 1}


def test_outcomes_at_the_youden_threshold(tmp_path):
    df = pd.DataFrame({"case_id": list(SCORES), "lesion_probability": list(SCORES.values()),
                       "other_head_probability": [0.5] * len(SCORES)})
    df.to_csv(tmp_path / "classification.csv", index=False)
    labels = write_case_labels(tmp_path / "labels.csv", {c: {"lesion": t, "other": 1} for c, t in TRUTH.items()},
                               ["lesion", "other"])
    with pytest.warns(UserWarning):  # h has no score; "other" has a single label value
        result = evaluate_predictions(tmp_path / "classification.csv", labels, n_bootstrap=0)
    # positives a, b, d (0.9, 0.8, 0.55), negatives c, e, f (0.6, 0.3, 0.1): J = 1 - 1/3 at t = 0.55
    assert result.classes["lesion"].sources["summarizer"].youden.threshold == pytest.approx(0.55)
    outcomes = case_outcomes(result, tmp_path / "classification.csv", labels)
    kinds = {case: o["lesion"].kind for case, o in outcomes.items()}
    assert kinds == {"a": "TP", "b": "TP", "c": "FP", "d": "TP", "e": "TN", "f": "TN", "g": None, "h": None}
    assert outcomes["g"]["lesion"] == CaseOutcome(None, 1, pytest.approx(0.55), "summarizer")  # no label
    assert outcomes["h"]["lesion"].predicted is None and outcomes["h"]["lesion"].truth == 1  # no score
    other = outcomes["a"]["other"]  # head scores only; a single label value: no threshold, no call
    assert (other.source, other.threshold, other.predicted, other.kind) == ("head", None, None, None)


def test_kind_table():
    assert [CaseOutcome(t, p, 0.5, "head").kind for t, p in ((1, 1), (0, 1), (0, 0), (1, 0), (None, 1))] == \
        ["TP", "FP", "TN", "FN", None]
