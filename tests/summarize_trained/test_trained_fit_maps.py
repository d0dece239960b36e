"""Fitting/applying threshold, fc, gap_fc and cnn summarizers on a fake model's out-of-fold npz files."""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
from fake_trained_model import held_out, make_model_folder
from sklearn.metrics import roc_auc_score

from segcls3d.cli.main import main
from segcls3d.errors import LabelFileError, ModelFolderError
from segcls3d.labels import class_definitions
from segcls3d.summarize import RuleBasedSummarizer, load_summarizer, save_summarizer
from segcls3d.summarize.trained import (
    FitOptions,
    MapSummarizer,
    TunedThresholdSummarizer,
    fit_summarizer,
    load_trained_summarizer,
)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return make_model_folder(tmp_path_factory.mktemp("model"), n_cases=40)


def _held_out_auroc(summarizer):
    maps, y = held_out()
    p = [summarizer.summarize(m, (1.5, 1.0, 1.0))["lesion"].probability for m in maps]
    return roc_auc_score(y, p), p


@pytest.mark.parametrize("method, options, min_auroc", [
    ("gap_fc", FitOptions(lr="auto", epochs=40), 0.85),
    ("fc", FitOptions(lr=1e-2, epochs=40, grid=[6]), 0.8),
    ("cnn", FitOptions(lr=1e-3, epochs=15, grid=[8]), 0.8),
])
def test_map_summarizers_beat_chance_and_round_trip(model, tmp_path, method, options, min_auroc):
    folder, csv = model
    s = fit_summarizer(folder, csv, method, options)
    assert isinstance(s, MapSummarizer) and s.classes == ["lesion"]
    auroc, p = _held_out_auroc(s)
    assert auroc >= min_auroc, auroc
    t = s.training
    assert t["n_cases"] == 40 and t["folds"] == ["0", "1"] and t["n_positive"] == {"lesion": 20}
    assert t["epochs"] == options.epochs and list(t["validation_auroc"]) == ["lesion"]
    if options.lr == "auto":
        assert set(t["lr_search"]) == {"1e-06", "1e-05", "1e-04", "1e-03", "1e-02"}
        assert t["lr"] in (1e-6, 1e-5, 1e-4, 1e-3, 1e-2)
        assert t["validation_auroc"] == t["lr_search"][f"{t['lr']:.0e}"]["auroc_per_class"]
    else:
        assert t["lr"] == options.lr and t["lr_search"] is None
    path = save_summarizer(tmp_path / f"{method}.json", s)
    again = load_summarizer(path)
    assert type(again) is MapSummarizer and again.grid == s.grid
    _, p2 = _held_out_auroc(again)
    np.testing.assert_allclose(p2, p, rtol=0, atol=1e-6)
    assert path.stat().st_size < 400_000


def test_gap_fc_matches_its_linear_formula(model):
    folder, csv = model
    s = fit_summarizer(folder, csv, "gap_fc", FitOptions(lr=1e-2, epochs=20))
    assert s.grid == (1, 1, 1)
    maps, _ = held_out(3)
    norm, linear = s.module[0], s.module[1][1]
    for m in maps:
        standardized = (m["lesion"].mean() - norm.mean.item()) / norm.std.item()
        expected = 1 / (1 + np.exp(-(linear.weight.item() * standardized + linear.bias.item())))
        assert s.summarize(m, (1.5, 1.0, 1.0))["lesion"].probability == pytest.approx(expected, rel=1e-5)


def test_statistics_come_from_the_half_thresholded_map(model):
    folder, csv = model
    s = fit_summarizer(folder, csv, "gap_fc", FitOptions(lr=1e-2, epochs=5))
    m = np.zeros((10, 14, 14), np.float32)
    m[1:3, 2:4, 5:7] = 0.8  # 8 voxels of 1.5 mm^3
    out = s.summarize({"lesion": m}, (1.5, 1.0, 1.0))["lesion"]
    ref = RuleBasedSummarizer(threshold=0.5, tau=0).summarize({"lesion": m}, (1.5, 1.0, 1.0))["lesion"]
    assert (out.volume_mm3, out.components, out.centroid_voxel) == (12.0, 1, ref.centroid_voxel)
    assert out.label == int(out.probability >= 0.5)


def test_threshold_tuning(model, tmp_path):
    folder, csv = model
    s = fit_summarizer(folder, csv, "threshold")
    assert isinstance(s, TunedThresholdSummarizer)
    rule = s.rules["lesion"]
    # positives have >= 27 voxels above 0.7, negatives <= 2 above 0.55 and noise < 0.15
    assert 0.15 < rule.threshold <= 0.7 and 2 < rule.tau <= 27
    assert s.training["tuned"]["lesion"]["auroc"] == 1.0
    assert s.training["tuned"]["lesion"]["balanced_accuracy"] == 1.0
    auroc, p = _held_out_auroc(s)
    assert auroc == 1.0
    d = json.loads(save_summarizer(tmp_path / "t.json", s).read_text())
    assert RuleBasedSummarizer.from_dict(d["rules"]["lesion"]) == rule  # a plain rule-based settings dict
    maps, y = held_out()
    labels = [load_summarizer(tmp_path / "t.json").summarize(m, (1.5, 1, 1))["lesion"].label for m in maps]
    assert labels == [int(v) for v in y]


def test_refuses_a_model_with_another_label_set(model, tmp_path):
    folder, csv = model
    s = fit_summarizer(folder, csv, "gap_fc", FitOptions(lr=1e-2, epochs=2))
    save_summarizer(tmp_path / "g.json", s)
    load_trained_summarizer(tmp_path / "g.json", folder)  # same model: fine
    other, _ = make_model_folder(tmp_path / "other", n_cases=4, labels={"background": 0, "lesion": 1, "cyst": 2})
    with pytest.raises(ModelFolderError, match="labels"):
        load_trained_summarizer(tmp_path / "g.json", other)
    ds = json.loads((other / "dataset.json").read_text())
    loaded = SimpleNamespace(kind="segmentation", dataset_json=ds, classes=class_definitions(ds), folder=other,
                             channel_groups={"lesion": [1], "cyst": [2]})
    with pytest.raises(ModelFolderError, match="segcls3d summarize fit"):
        s.check_model(loaded)  # what predict_folder calls before predicting


def test_missing_npz_error_says_how_to_export(tmp_path):
    folder, csv = make_model_folder(tmp_path, n_cases=4, write_npz=False)
    with pytest.raises(ModelFolderError, match=r"--npz.*--val --npz"):
        fit_summarizer(folder, csv, "fc")


def test_labels_need_both_classes(model, tmp_path):
    folder, _ = model
    csv = tmp_path / "labels.csv"
    csv.write_text("case_id,lesion\n" + "".join(f"case_{i:03d},1\n" for i in range(40)))
    with pytest.raises(LabelFileError, match="positive and negative"):
        fit_summarizer(folder, csv, "threshold")


def test_cli_fit_and_errors(model, tmp_path, capsys):
    folder, csv = model
    out = tmp_path / "fc.json"
    rc = main(["summarize", "fit", "--model", str(folder), "--labels", str(csv), "--method", "fc", "-o", str(out),
               "--lr", "1e-2", "--epochs", "3", "--grid", "4"])
    assert rc == 0 and out.is_file()
    assert "fc summarizer fitted on 40 out-of-fold cases" in capsys.readouterr().out
    assert load_summarizer(out).grid == (4, 4, 4)
    bare, bare_csv = make_model_folder(tmp_path / "bare", n_cases=4, write_npz=False)
    rc = main(["summarize", "fit", "-m", str(bare), "-l", str(bare_csv), "--method", "gap_fc", "-o",
               str(tmp_path / "x.json")])
    err = capsys.readouterr().err
    assert rc == 2 and "--npz" in err and "Traceback" not in err
    assert not (tmp_path / "x.json").exists()
