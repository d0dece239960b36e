"""evaluate_predictions on tables: class/source discovery, numbers vs scikit-learn, NaN for one class."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from segcls3d.errors import InputDataError
from segcls3d.evaluate import Estimate, evaluate_predictions, format_table, plot_roc
from segcls3d.labels import CaseLabels, write_case_labels


def _tables(n=40, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]
    cases = [f"case_{i:03d}" for i in range(n)]
    prob = np.clip(0.35 * y + 0.65 * rng.random(n), 0, 1)
    df = pd.DataFrame({
        "case_id": cases,
        "lesion_probability": prob,
        "lesion_label": (prob >= 0.5).astype(int),
        "lesion_head_probability": rng.random(n),
        "other_probability": rng.random(n),  # no labels column: skipped with a warning
    })
    labels = {c: {"lesion": float(v), "rare": 0.0} for c, v in zip(cases, y)}
    return df, labels, y


def test_numbers_match_sklearn_and_unknowns_are_left_out(tmp_path):
    df, labels, y = _tables()
    labels["case_005"]["lesion"] = None
    del labels["case_006"]
    write_case_labels(tmp_path / "labels.csv", labels, ["lesion", "rare"])
    with pytest.warns(UserWarning) as record:
        result = evaluate_predictions(df, tmp_path / "labels.csv", n_bootstrap=200, seed=1)
    messages = " | ".join(str(w.message) for w in record)
    assert "without a labels row" in messages and "['other']" in messages
    assert result.n_cases_without_labels == 1 and result.cases_without_labels == ("case_006",)
    keep = ~df.case_id.isin(["case_005", "case_006"])
    sources = result.classes["lesion"].sources
    assert list(sources) == ["summarizer", "head"]
    src = sources["summarizer"]
    assert src.n == int(keep.sum()) and src.n_unknown_label == 1
    assert (src.n_positive, src.n_negative) == (int(y[keep].sum()), int((y[keep] == 0).sum()))
    assert src.auroc.value == pytest.approx(roc_auc_score(y[keep], df.lesion_probability[keep]))
    assert src.auroc.ci_lower < src.auroc.value < src.auroc.ci_upper
    assert list(src.operating_points) == ["youden", "model"]
    pred = df.lesion_label[keep].to_numpy()
    assert src.model.recall.value == pytest.approx(((pred == 1) & (y[keep] == 1)).sum() / (y[keep] == 1).sum())
    assert (src.model.tp, src.model.fn) == (int(((pred == 1) & (y[keep] == 1)).sum()),
                                            int(((pred == 0) & (y[keep] == 1)).sum()))
    assert sources["head"].model is None and list(sources["head"].operating_points) == ["youden"]
    assert sources["head"].label_column is None
    json.dumps(result.to_dict(), allow_nan=False)  # strict JSON: NaN became None


def test_one_class_gives_nan_and_warning():
    df, labels, _ = _tables()
    df = df.drop(columns=["other_probability"])
    case_labels = CaseLabels({c: [v["lesion"], v["rare"]] for c, v in labels.items()}, ["lesion", "rare"])
    df["rare_probability"] = np.linspace(0, 1, len(df))
    with pytest.warns(UserWarning, match="class 'rare' \\(summarizer\\): only one label value"):
        result = evaluate_predictions(df, case_labels, n_bootstrap=50)
    rare = result.classes["rare"].sources["summarizer"]
    assert rare.auroc.value is None and rare.youden.threshold is None and rare.roc_curve is None
    assert rare.youden.recall == Estimate(None, None, None)
    assert (rare.youden.tp, rare.bootstrap.n_used, rare.bootstrap.n_skipped_single_class) == (None, 0, 50)
    lesion = result.classes["lesion"].sources["summarizer"]
    y = np.array([labels[c]["lesion"] for c in df.case_id])
    assert lesion.auroc.value == pytest.approx(roc_auc_score(y, df.lesion_probability))
    table = format_table(result)
    rare_row = next(line for line in table.splitlines() if line.startswith("rare "))
    assert rare_row.split()[:5] == ["rare", "summarizer", "40", "0", "n/a"]


def test_seed_reproducible_and_bootstrap_zero():
    df, labels, _ = _tables()
    df = df.drop(columns=["other_probability"])
    case_labels = CaseLabels({c: [v["lesion"]] for c, v in labels.items()}, ["lesion"])
    a = evaluate_predictions(df, case_labels, n_bootstrap=100, seed=3)
    b = evaluate_predictions(df, case_labels, n_bootstrap=100, seed=3)
    assert a == b
    none = evaluate_predictions(df, case_labels, n_bootstrap=0)
    auroc = none.classes["lesion"].sources["summarizer"].auroc
    assert auroc == Estimate(a.classes["lesion"].sources["summarizer"].auroc.value, None, None)


def test_no_common_class_is_an_input_error():
    df = pd.DataFrame({"case_id": ["a", "b"], "x_probability": [0.1, 0.9]})
    with pytest.raises(InputDataError, match="no class has both"):
        evaluate_predictions(df, CaseLabels({"a": [0], "b": [1]}, ["y"]))


def test_bad_model_label_names_case_and_column():
    df, labels, _ = _tables()
    df = df.drop(columns=["other_probability"])
    df.loc[4, "lesion_label"] = 2
    case_labels = CaseLabels({c: [v["lesion"]] for c, v in labels.items()}, ["lesion"])
    with pytest.raises(InputDataError, match="case 'case_004', column 'lesion_label'"):
        evaluate_predictions(df, case_labels, n_bootstrap=0)


def test_plot_roc_api(tmp_path):
    df, labels, _ = _tables()
    df = df.drop(columns=["other_probability"])
    case_labels = CaseLabels({c: [v["lesion"]] for c, v in labels.items()}, ["lesion"])
    path = plot_roc(df, case_labels, tmp_path / "roc.png")
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_empty_head_column_is_not_a_source():
    df, labels, _ = _tables()
    df = df.drop(columns=["other_probability"])
    df["lesion_head_probability"] = None
    df["lesion_head_label"] = None
    case_labels = CaseLabels({c: [v["lesion"]] for c, v in labels.items()}, ["lesion"])
    result = evaluate_predictions(df, case_labels, n_bootstrap=0)
    assert list(result.classes["lesion"].sources) == ["summarizer"]
