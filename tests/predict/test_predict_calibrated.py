"""`segcls3d predict` with a calibrated summarizer: calibrated ``<class>_probability``, raw ``<class>_score``.

Runs the real predict on the old SegCls checkpoint (tests/data/old_checkpoints) twice, with the
rule-based g (``soft_volume``, a ranking score in mm^3) and with the same g plus a Platt calibrator.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from scipy.special import expit

from segcls3d.cli.main import main
from segcls3d.evaluate.score_kinds import load_ranking_classes
from segcls3d.labels import write_case_labels
from segcls3d.summarize import RuleBasedSummarizer, save_summarizer
from segcls3d.summarize.calibrators import PlattCalibrator
from segcls3d.summarize.trained import CalibratedSummarizer, read_model_info
from segcls3d.summarize.trained.model_info import label_signature

DATA = Path(__file__).resolve().parents[1] / "data" / "old_checkpoints"
MODEL = DATA / "models" / "nnUNetTrainerSegCls_smoke__nnUNetPlans_cpu_tiny__3d_fullres"
FAST = ["-f", "0", "--device", "cpu", "--disable-tta"]
PLAIN_COLUMNS = ["case_id", "target_probability", "target_label", "target_volume_mm3", "target_components",
                 "target_centroid_voxel", "target_centroid_world"]
COEF, INTERCEPT = 0.05, -1.0


def _calibrated_file(path: Path) -> Path:
    info = read_model_info(MODEL)
    model = label_signature(info.dataset_json, info.classes, info.channel_groups)
    summarizer = CalibratedSummarizer("rule_based", ["target"], model, RuleBasedSummarizer(score="soft_volume"),
                                      {"target": PlattCalibrator(coef=COEF, intercept=INTERCEPT)})
    return save_summarizer(path, summarizer)


def _evaluate_kind(out: Path, labels: Path) -> str:
    report = out / "metrics.json"
    assert main(["evaluate", "--predictions", str(out / "classification.csv"), "--labels", str(labels),
                 "--json", str(report), "--bootstrap", "0"]) == 0
    return json.loads(report.read_text())["classes"]["target"]["sources"]["summarizer"]["calibration"]["score_kind"]


def test_calibrated_summarizer_adds_the_score_column(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    for i in (0, 1):
        shutil.copy(DATA / "imagesTs" / f"synth_test_{i:04d}_0000.nii.gz", images / f"case{i}_0000.nii.gz")
    plain, calibrated = tmp_path / "plain", tmp_path / "calibrated"
    assert main(["predict", "-i", str(images), "-o", str(plain), "-m", str(MODEL), *FAST,
                 "--score", "soft_volume"]) == 0
    summarizer = _calibrated_file(tmp_path / "calibrated.json")
    assert main(["predict", "-i", str(images), "-o", str(calibrated), "-m", str(MODEL), *FAST,
                 "--summarizer", str(summarizer)]) == 0

    a = pd.read_csv(plain / "classification.csv", dtype={"case_id": str})
    b = pd.read_csv(calibrated / "classification.csv", dtype={"case_id": str})
    assert list(a.columns) == PLAIN_COLUMNS  # uncalibrated: the columns of today
    assert list(b.columns) == PLAIN_COLUMNS[:2] + ["target_score"] + PLAIN_COLUMNS[2:]
    pd.testing.assert_series_equal(b["target_score"], a["target_probability"], check_names=False)
    assert b["target_probability"].tolist() == pytest.approx(expit(COEF * a["target_probability"] + INTERCEPT).tolist())
    assert b["target_probability"].between(0, 1).all()
    pd.testing.assert_frame_equal(b[PLAIN_COLUMNS[2:]], a[PLAIN_COLUMNS[2:]])  # same label and lesion statistics

    classes = ["target"]
    assert load_ranking_classes(plain / "classes.json", classes) == {"target"}
    assert load_ranking_classes(calibrated / "classes.json", classes) == set()
    labels = write_case_labels(tmp_path / "labels.csv", {"case0": {"target": 1}, "case1": {"target": 0}}, classes)
    assert (_evaluate_kind(plain, labels), _evaluate_kind(calibrated, labels)) == ("ranking", "probability")
