"""`summarize fit --calibrate`: calibrators fitted on out-of-fold scores, measured on held-out folds, saved as JSON.

The "score model" below is a fake cross-validated model whose out-of-fold maps have a known maximum s
per case, with labels drawn as P(y = 1 | s) = s^2: the rule-based g with ``--score max`` scores each
case s, and a good calibrator maps s to about s^2.
"""
from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
from fake_trained_model import SPACING, dataset_json, held_out, make_model_folder, plans
from sklearn.metrics import roc_auc_score

from segcls3d.cli.main import main
from segcls3d.errors import ModelFolderError
from segcls3d.labels import write_case_labels
from segcls3d.metrics import compute_brier, compute_ece
from segcls3d.summarize import RuleBasedSummarizer, load_summarizer, save_summarizer
from segcls3d.summarize.calibrators import IsotonicCalibrator, PlattCalibrator
from segcls3d.summarize.trained import (
    CalibratedSummarizer,
    FitOptions,
    MapSummarizer,
    TunedThresholdSummarizer,
    check_calibration,
    fit_summarizer,
    load_trained_summarizer,
)
from segcls3d.summarize.trained.cross_fit import case_splits
from segcls3d.summarize.trained.out_of_fold import OutOfFoldCase, load_case_maps, out_of_fold_cases
from segcls3d.summarize.trained.threshold import statistics_scores, threshold_statistics
from segcls3d.summarize.trained.training import TrainSettings, predict_probabilities, train_head

MAP_SHAPE = (2, 3, 3)
N_FOLDS = 5


def one_voxel_map(s: float) -> np.ndarray:
    m = np.zeros(MAP_SHAPE, np.float32)
    m[1, 1, 1] = s
    return m


def make_score_model(root: Path, n: int = 600, seed: int = 0):
    """Model folder whose case i (fold i % 5) has max probability s_i ~ U(0, 1) and label ~ Bernoulli(s_i^2)."""
    rng = np.random.default_rng(seed)
    s = rng.uniform(size=n).astype(np.float32).astype(float)
    y = (rng.uniform(size=n) < s**2).astype(int)
    folder = root / "nnUNetTrainer__nnUNetPlans__3d_fullres"
    folder.mkdir(parents=True)
    (folder / "dataset.json").write_text(json.dumps(dataset_json(None, n)))
    (folder / "plans.json").write_text(json.dumps(plans()))
    truth, scores, folds = {}, {}, {}
    for i in range(n):
        case, fold = f"case_{i:04d}", i % N_FOLDS
        validation = folder / f"fold_{fold}" / "validation"
        validation.mkdir(parents=True, exist_ok=True)
        lesion = one_voxel_map(s[i])
        np.savez(validation / f"{case}.npz", probabilities=np.stack([1 - lesion, lesion]))
        with open(validation / f"{case}.pkl", "wb") as handle:
            pickle.dump({"spacing": list(SPACING)}, handle)
        truth[case], scores[case], folds[case] = {"lesion": int(y[i])}, s[i], fold
    csv = write_case_labels(root / "classification_labels.csv", truth, ["lesion"])
    return folder, csv, scores, {c: t["lesion"] for c, t in truth.items()}, folds


@pytest.fixture(scope="module")
def score_model(tmp_path_factory):
    return make_score_model(tmp_path_factory.mktemp("scores"))


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """The blob model of the other trained-summarizer tests, 3 folds that mix positives and negatives."""
    return make_model_folder(tmp_path_factory.mktemp("model"), n_cases=60, n_folds=3)


def _held_out_brier_ece(scores: dict, labels: dict, folds: dict) -> tuple[float, float]:
    """Isotonic fitted on the other folds, applied to each fold: the honest numbers, recomputed by hand."""
    cases = sorted(scores)
    s, y, f = (np.array([d[c] for c in cases], dtype=float) for d in (scores, labels, folds))
    p = np.zeros_like(s)
    for k in range(N_FOLDS):
        p[f == k] = IsotonicCalibrator.fit(s[f != k], y[f != k]).probability(s[f == k])
    return compute_brier(y, p), compute_ece(y, p, 10)


def test_rule_based_isotonic_end_to_end(score_model, tmp_path, capsys):
    folder, csv, scores, labels, folds = score_model
    out = tmp_path / "calibrated.json"
    assert main(["summarize", "fit", "-m", str(folder), "-l", str(csv), "--method", "rule_based", "--calibrate",
                 "isotonic", "--score", "max", "--tau", "0", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "rule_based summarizer with isotonic calibration fitted on 600 out-of-fold cases" in printed
    assert "held-out calibration (model folds ['0', '1', '2', '3', '4'])" in printed

    d = json.loads(out.read_text())
    assert (d["kind"], d["method"]) == ("calibrated", "rule_based")
    assert d["summarizer"] == RuleBasedSummarizer(score="max", tau=0).to_dict()
    iso = d["calibrators"]["lesion"]
    assert iso["method"] == "isotonic" and len(iso["x_thresholds"]) == len(iso["y_thresholds"]) > 2
    assert all(isinstance(v, float) for v in iso["x_thresholds"] + iso["y_thresholds"])

    check = d["training"]["calibration"]["out_of_fold"]["lesion"]
    s = np.array([scores[c] for c in sorted(scores)])
    y = np.array([labels[c] for c in sorted(scores)])
    assert check["n_cases"] == 600 and check["n_positive"] == int(y.sum())
    assert check["brier_before"] == pytest.approx(compute_brier(y, s), rel=1e-9)
    assert check["ece_before"] == pytest.approx(compute_ece(y, s, 10), rel=1e-9)
    brier, ece = _held_out_brier_ece(scores, labels, folds)
    assert (check["brier_after"], check["ece_after"]) == (pytest.approx(brier, rel=1e-9), pytest.approx(ece, rel=1e-9))
    # raw s overestimates s^2: Brier 1/30 + 2/15 = 0.167 before; about 2/15 = 0.133 once calibrated
    assert check["brier_before"] == pytest.approx(1 / 6, abs=0.02)
    assert check["brier_after"] < check["brier_before"] - 0.02 and check["ece_after"] < check["ece_before"] / 2

    loaded = load_trained_summarizer(out, folder)  # same label set: accepted
    assert isinstance(loaded, CalibratedSummarizer)
    for v in (0.3, 0.5, 0.7, 0.9):
        summary = loaded.summarize({"lesion": one_voxel_map(v)}, SPACING)["lesion"]
        assert summary.score == pytest.approx(v, abs=1e-6)
        assert summary.probability == pytest.approx(v**2, abs=0.12)
        assert summary.label == RuleBasedSummarizer(score="max", tau=0).summarize_map(one_voxel_map(v), SPACING).label


def test_soft_volume_platt_gives_probabilities_and_keeps_the_ranking(model, tmp_path, capsys):
    folder, csv = model
    out = tmp_path / "platt.json"
    assert main(["summarize", "fit", "-m", str(folder), "-l", str(csv), "--method", "rule_based", "--calibrate",
                 "platt", "--score", "soft_volume", "-o", str(out)]) == 0
    assert "n/a" in capsys.readouterr().out  # no Brier/ECE of a ranking score
    d = json.loads(out.read_text())
    check = d["training"]["calibration"]["out_of_fold"]["lesion"]
    assert check["brier_before"] is None and check["ece_before"] is None
    assert 0 <= check["brier_after"] < 0.1
    calibrated, rule = load_summarizer(out), RuleBasedSummarizer(score="soft_volume")
    maps, y = held_out()
    out_maps = [calibrated.summarize(m, SPACING)["lesion"] for m in maps]
    raw = [rule.summarize(m, SPACING)["lesion"] for m in maps]
    assert max(r.probability for r in raw) > 1  # mm^3
    assert all(0 <= o.probability <= 1 and o.score == r.probability and o.label == r.label
               for o, r in zip(out_maps, raw))
    assert roc_auc_score(y, [o.probability for o in out_maps]) == roc_auc_score(y, [r.probability for r in raw])


def test_rule_based_without_calibration_is_refused(model, tmp_path, capsys):
    folder, csv = model
    assert main(["summarize", "fit", "-m", str(folder), "-l", str(csv), "--method", "rule_based",
                 "-o", str(tmp_path / "x.json")]) == 2
    assert "rule_based fits nothing by itself" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


def test_tuned_threshold_is_calibrated_on_cross_fitted_scores(model, tmp_path):
    folder, csv = model
    plain = fit_summarizer(folder, csv, "threshold")
    s = fit_summarizer(folder, csv, "threshold", FitOptions(calibrate="isotonic"))
    assert isinstance(s.summarizer, TunedThresholdSummarizer) and s.summarizer.rules == plain.rules
    again = load_summarizer(save_summarizer(tmp_path / "t.json", s))
    maps, _ = held_out(10)
    for m in maps:
        a, b, raw = again.summarize(m, SPACING)["lesion"], s.summarize(m, SPACING)["lesion"], \
            plain.summarize(m, SPACING)["lesion"]
        assert (a.probability, a.score, a.label) == (b.probability, b.score, b.label)
        assert (a.score, a.label) == (raw.probability, raw.label)
        rule = plain.rules["lesion"]  # the statistics shortcut used for cross-fitting gives the rule's own score
        stats = threshold_statistics(m["lesion"], [0.3, rule.threshold])[None]
        assert statistics_scores(stats, [0.3, rule.threshold], rule.threshold, rule.tau)[0] == \
            pytest.approx(raw.probability, rel=1e-6)


def test_trained_head_is_calibrated_on_heads_that_did_not_see_the_fold(model, tmp_path):
    folder, csv = model
    options = FitOptions(lr=1e-2, epochs=3, calibrate="platt")
    s = fit_summarizer(folder, csv, "gap_fc", options)
    assert isinstance(s.summarizer, MapSummarizer) and s.method == "gap_fc"
    # recompute the cross-fitted head scores: one head per model fold, trained on the other folds
    import torch

    cases = out_of_fold_cases(folder, [0, 1, 2], ".nii.gz")
    x = torch.cat([s.summarizer.model_input(load_case_maps(c, {"lesion": [1]})[0]) for c in cases])
    y = np.array([[float(int(c.case_id[-3:]) % 2 == 0)] for c in cases])
    fold = np.array([c.fold for c in cases])
    settings = TrainSettings(options.epochs, options.batch_size, options.seed, options.val_fraction)
    p = np.zeros(len(cases))
    for k in range(3):
        head = train_head("gap_fc", x[np.flatnonzero(fold != k)], y[fold != k], 1e-2, settings)
        p[fold == k] = predict_probabilities(head, x[np.flatnonzero(fold == k)])[:, 0]
    check = s.training["calibration"]["out_of_fold"]["lesion"]
    assert check["brier_before"] == pytest.approx(compute_brier(y[:, 0], p), rel=1e-6)
    again = load_summarizer(save_summarizer(tmp_path / "g.json", s))
    maps, _ = held_out(6)
    for m in maps:
        a, b = again.summarize(m, SPACING)["lesion"], s.summarize(m, SPACING)["lesion"]
        assert a.probability == pytest.approx(b.probability, abs=1e-9) and a.score == pytest.approx(b.score, abs=1e-6)
        assert a.score == pytest.approx(s.summarizer.summarize(m, SPACING)["lesion"].probability, abs=1e-6)


def test_check_calibration_is_cross_fitted():
    rng = np.random.default_rng(4)
    s = rng.uniform(size=300)
    y = (rng.uniform(size=300) < s**2).astype(float)
    splits = np.arange(300) % 3
    check = check_calibration("platt", s, y, splits)
    p = np.zeros(300)
    for k in range(3):
        p[splits == k] = PlattCalibrator.fit(s[splits != k], y[splits != k]).probability(s[splits == k])
    assert check.brier_after == pytest.approx(compute_brier(y, p), rel=1e-9)
    in_sample = compute_brier(y, PlattCalibrator.fit(s, y).probability(s))
    assert check.brier_after > in_sample  # held out is worse than the optimistic in-sample number
    y_missing = y.copy()
    y_missing[:10] = np.nan  # unknown labels are left out
    assert check_calibration("platt", s, y_missing, splits).n_cases == 290
    assert check_calibration("isotonic", 1000 * s, y, splits).brier_before is None  # not a probability


def test_splits_without_several_folds_are_stratified():
    cases = [OutOfFoldCase(f"c{i}", 0, Path(".")) for i in range(20)]
    y = np.array([[float(i % 4 == 0)] for i in range(20)])
    splits, how = case_splits(cases, y, seed=0)
    assert how == "5 stratified splits of one fold's cases (seed 0)"
    assert sorted(np.bincount(splits)) == [4] * 5 and all(y[splits == k, 0].sum() == 1 for k in range(5))
    cases = [OutOfFoldCase(f"c{i}", i % 2, Path(".")) for i in range(6)]
    assert case_splits(cases, y[:6])[1] == "model folds ['0', '1']"


def test_calibrated_file_refuses_another_model_and_bad_settings(model, tmp_path):
    folder, csv = model
    fitted = fit_summarizer(folder, csv, "rule_based", FitOptions(calibrate="platt"))
    path = save_summarizer(tmp_path / "c.json", fitted)
    other, _ = make_model_folder(tmp_path / "other", n_cases=4, labels={"background": 0, "lesion": 1, "cyst": 2})
    with pytest.raises(ModelFolderError, match="labels"):
        load_trained_summarizer(path, other)
    d = json.loads(path.read_text())
    bad = tmp_path / "bad.json"
    for change, message in [({"calibrators": {}}, "no calibrator for class"), ({"summarizer": d}, "already calibrated"),
                            ({"calibrators": {"lesion": {"method": "platt", "coef": "x", "intercept": 0}}},
                             "'coef' must be a finite number")]:
        bad.write_text(json.dumps({**d, **change}))
        with pytest.raises(ModelFolderError, match=message):
            load_summarizer(bad)
