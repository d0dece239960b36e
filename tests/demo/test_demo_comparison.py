"""The demo's side-by-side table and ROC plot of two models' evaluation results."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segcls3d.demo.comparison import comparison_plot, comparison_table
from segcls3d.evaluate import evaluate_predictions
from segcls3d.labels import CaseLabels


def _results():
    y = np.array([1, 1, 1, 0, 0, 0])
    labels = CaseLabels({f"c{i}": [v] for i, v in enumerate(y)}, ["target"])
    cases = [f"c{i}" for i in range(len(y))]
    seg = pd.DataFrame({"case_id": cases, "target_probability": [0.9, 0.8, 0.2, 0.3, 0.25, 0.05]})
    cls = pd.DataFrame({"case_id": cases, "target_head_probability": [0.6, 0.55, 0.7, 0.3, 0.5, 0.75]})
    return {"seg": evaluate_predictions(seg, labels, n_bootstrap=0),
            "cls": evaluate_predictions(cls, labels, n_bootstrap=0)}


def test_table_reads_summarizer_or_head_at_the_youden_point():
    lines = comparison_table(_results(), "target").splitlines()
    assert lines[0] == "| metric | seg | cls |"
    # seg: AUROC 7/9, Youden t = 0.8 (2 of 3 positives); cls (head): AUROC 6/9, Youden t = 0.55 (3 of 3)
    assert lines[2] == "| AUROC [95% CI] | 0.778 [n/a, n/a] | 0.667 [n/a, n/a] |"
    assert lines[4] == "| recall | 0.667 | 1.000 |"
    assert lines[-1] == "| strict recall | n/a | n/a |"  # no masks evaluated
    assert comparison_table(_results(), "other").splitlines()[2] == "| AUROC [95% CI] | n/a | n/a |"


def test_plot_writes_one_png(tmp_path):
    path = comparison_plot(_results(), "target", tmp_path / "roc.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("missing", ["seg", "cls"])
def test_plot_skips_a_model_without_the_class(tmp_path, missing):
    results = _results()
    results[missing] = evaluate_predictions(
        pd.DataFrame({"case_id": ["a", "b"], "other_probability": [0.1, 0.9]}),
        CaseLabels({"a": [0], "b": [1]}, ["other"]), n_bootstrap=0)
    assert comparison_plot(results, "target", tmp_path / "roc.png").is_file()
