"""The runner's resume and failure logic, with the nnU-Net steps replaced by fakes (no training here)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from segcls3d.errors import SegCls3dError
from segcls3d.experiments import build_plan, get_suite, run_plan
from segcls3d.experiments import steps as steps_module
from segcls3d.experiments.registry import DatasetRegistry
from segcls3d.experiments.suites import with_overrides
from segcls3d.experiments.status import target_state

N_TEST = 10  # 5 positives with small targets (radius = target_size), 5 negatives
ENV_KEYS = ("nnUNet_raw", "nnUNet_preprocessed", "nnUNet_results", "nnUNet_extTrainer", "nnUNet_def_n_proc",
            "nnUNet_n_proc_DA", "nnUNet_compile")


class FakeSteps:
    """Stand-ins for steps.*: record calls, write the files the real steps would, fail on request."""

    def __init__(self, root: Path):
        self.root = root
        self.calls: dict[str, list] = {"prepare": [], "train": [], "fit": [], "load": [], "predict": []}
        self.fail_train: set[tuple[str, str]] = set()  # (dataset name, trainer)
        self.fail_prepare: set[str] = set()

    def prepare_dataset(self, spec, dataset_id, name, preset, work_dir):
        from segcls3d.labels import write_case_labels

        self.calls["prepare"].append(name)
        if name in self.fail_prepare:
            raise SegCls3dError(f"{name}: planning failed")
        raw = self.root / "raw" / name
        raw.mkdir(parents=True, exist_ok=True)
        labels = {f"synth_test_{i:04d}": {"target": int(i < 5)} for i in range(N_TEST)}
        write_case_labels(raw / "classification_labels.csv", labels, ["target"])
        radius = spec.synth["target_size"]
        rows = ["case_id,split,label,target_radius"] + [
            f"synth_test_{i:04d},test,{int(i < 5)},{radius if i < 5 else ''}" for i in range(N_TEST)]
        (raw / "synth_metadata.csv").write_text("\n".join(rows) + "\n")
        return steps_module.PreparedDataset(dataset_id, name, raw, "nnUNetPlans_cpu_tiny", spec.configuration,
                                            self.root / "results")

    def train_job(self, prepared, trainer, folds, npz, device, log_dir):
        self.calls["train"].append((prepared.name, trainer, tuple(folds), npz))
        if (prepared.name, trainer) in self.fail_train:
            raise SegCls3dError(f"nnUNetv2_train failed for {trainer} (exit 1):\nRuntimeError: out of memory")
        return self.root / "results" / prepared.name / trainer

    def make_summarizer(self, method, folder, prepared, folds, epochs, seed, device, cache_dir):
        self.calls["fit"].append((prepared.name, method.summarizer_id))
        return method.summarizer_id

    def load_for_prediction(self, folder, folds, device, mirroring):
        self.calls["load"].append((folder.name, tuple(folds), mirroring))
        return folder.name

    def predict_and_evaluate(self, model, prepared, summarizer, out_dir):
        import pandas as pd

        from segcls3d.evaluate import evaluate_predictions

        self.calls["predict"].append((prepared.name, model, summarizer))
        y = np.array([1] * 5 + [0] * 5)
        good = "SegCls" in model  # the fake segmentation model separates the classes, the others less so
        scores = np.where(y == 1, 0.9, 0.1) if good else np.array([0.6, 0.4, 0.7, 0.3, 0.8, 0.5, 0.2, 0.6, 0.1, 0.4])
        table = pd.DataFrame({"case_id": [f"synth_test_{i:04d}" for i in range(N_TEST)]})
        if model.startswith("nnUNetTrainerCls"):  # like segcls3d predict: a classifier's output is the head
            table["target_head_probability"] = scores
            table["target_head_label"] = (scores >= 0.5).astype(int)
        else:
            table["target_probability"] = scores
            table["target_label"] = (scores >= 0.5).astype(int)
        if "Multitask" in model:
            table["target_head_probability"] = scores[::-1]
            table["target_head_label"] = (scores[::-1] >= 0.5).astype(int)
        out_dir.mkdir(parents=True, exist_ok=True)
        table.to_csv(out_dir / "classification.csv", index=False)
        result = evaluate_predictions(out_dir / "classification.csv", prepared.raw / "classification_labels.csv",
                                      n_bootstrap=20, seed=0)
        return steps_module.Evaluation(result, out_dir / "classification.csv", 0)


@pytest.fixture()
def fake(monkeypatch, tmp_path):
    for key in ENV_KEYS:  # the runner exports nnU-Net variables: restore them after the test
        monkeypatch.setenv(key, "unset-by-test")
    fake = FakeSteps(tmp_path / "fake")
    for name in ("prepare_dataset", "train_job", "make_summarizer", "load_for_prediction", "predict_and_evaluate"):
        monkeypatch.setattr(steps_module, name, getattr(fake, name))
    return fake


def _plan(out, names=("a", "e"), seeds=(0, 1), suite=None):
    suite = suite or get_suite("cpu")
    return build_plan(suite, list(names), [2], list(seeds), out, registry=DatasetRegistry(out / "datasets.json"))


def _record(plan, experiment, value, seed, method):
    return json.loads((plan.out / experiment / "2d" / f"{value:g}" / f"seed{seed}" / f"{method}.json").read_text())


def test_run_writes_every_target_and_trains_shared_runs_once(fake, tmp_path):
    plan = _plan(tmp_path / "out")
    summary = run_plan(plan, device="cpu")
    assert summary.n_targets == 2 * 2 * 2 * 4 and summary.n_written == 32 and not summary.failures
    assert len(fake.calls["train"]) == 3 * 2 * 3  # 3 distinct datasets per seed (default shared) x 3 trainers
    assert len(fake.calls["prepare"]) == 6
    # multitask head and g come from one prediction
    multitask = [c for c in fake.calls["predict"] if "Multitask" in c[1]]
    assert len(multitask) == 6
    seg = _record(plan, "training_size", 80, 0, "segcls_g")
    same = _record(plan, "target_size", 4, 0, "segcls_g")
    assert seg["status"] == "ok" and seg["metrics"]["auroc"]["value"] == 1.0
    assert seg["dataset"] == same["dataset"] and same["experiment"] == "target_size" and same["value"] == 4.0
    assert seg["metrics"]["small_target_recall"] == {"value": 1.0, "n": 5, "n_detected": 5}
    cls = _record(plan, "training_size", 20, 1, "cls")
    # scores .6 .4 .7 .3 .8 | .5 .2 .6 .1 .4 at p >= .5: recall 3/5, specificity 3/5
    assert cls["source"] == "head" and cls["metrics"]["balanced_accuracy"]["value"] == pytest.approx(0.6)
    assert cls["metrics"]["auroc"]["value"] == pytest.approx(0.76)
    head = _record(plan, "training_size", 20, 0, "multitask_head")
    assert head["source"] == "head" and head["trainer"] == "nnUNetTrainerMultitask_exp"
    assert head["dataset"]["id"] in range(500, 1000) and head["dataset"]["name"].endswith("_SegClsExp2D")
    registry = json.loads((plan.out / "datasets.json").read_text())["datasets"]
    assert len(registry) == 6 and {e["id"] for e in registry.values()} == set(range(500, 506))

    for calls in fake.calls.values():
        calls.clear()
    again = run_plan(_plan(tmp_path / "out"), device="cpu")  # resume: everything done, nothing runs
    assert again.n_already_done == 32 and again.n_written == 0
    assert not any(fake.calls.values())


def test_failures_are_recorded_others_go_on_and_are_retried(fake, tmp_path):
    plan = _plan(tmp_path / "out", names=("e",), seeds=(0,))
    default_name = plan.dataset_name(next(t.job_key.split(":")[0] for t in plan.targets if t.value == 4.0))
    small_name = plan.dataset_name(next(t.job_key.split(":")[0] for t in plan.targets if t.value == 2.5))
    fake.fail_train.add((default_name, "nnUNetTrainerCls_exp"))
    fake.fail_prepare.add(small_name)
    summary = run_plan(plan, device="cpu")
    assert summary.n_written == 8 and len(summary.failures) == 1 + 4
    failed = _record(plan, "target_size", 4, 0, "cls")
    assert failed["status"] == "failed" and failed["failed_step"] == "train" and "out of memory" in failed["error"]
    assert _record(plan, "target_size", 2.5, 0, "segcls_g")["failed_step"] == "prepare"
    assert _record(plan, "target_size", 4, 0, "segcls_g")["status"] == "ok"
    assert _record(plan, "target_size", 4, 0, "multitask_head")["status"] == "ok"

    fake.fail_train.clear()
    fake.fail_prepare.clear()
    for calls in fake.calls.values():
        calls.clear()
    retry = run_plan(_plan(tmp_path / "out", names=("e",), seeds=(0,)), device="cpu")
    assert retry.n_already_done == 3 and retry.n_written == 5 and not retry.failures
    assert sorted(c[1] for c in fake.calls["train"]) == sorted(
        ["nnUNetTrainerCls_exp", "nnUNetTrainerSegCls_exp", "nnUNetTrainerCls_exp", "nnUNetTrainerMultitask_exp"])


def test_other_schedule_makes_old_results_stale(fake, tmp_path):
    run_plan(_plan(tmp_path / "out", names=("e",), seeds=(0,)), device="cpu")
    smoke = with_overrides(get_suite("cpu"), schedule="_smoke")
    plan = _plan(tmp_path / "out", names=("e",), seeds=(0,), suite=smoke)
    assert {target_state(plan, t) for t in plan.targets} == {"todo"}
    run_plan(plan, device="cpu")
    assert _record(plan, "target_size", 4, 0, "segcls_g")["trainer"] == "nnUNetTrainerSegCls_smoke"


def test_summarizer_comparison_fits_each_method_once(fake, tmp_path):
    plan = _plan(tmp_path / "out", names=("h",), seeds=(0,))
    summary = run_plan(plan, device="cpu")
    assert summary.n_written == 12 and not summary.failures
    seg_train = [c for c in fake.calls["train"] if "SegCls" in c[1]]
    assert seg_train == [(seg_train[0][0], "nnUNetTrainerSegCls_exp", (0, 1), True)]
    fitted = sorted(s for _, s in fake.calls["fit"])
    assert fitted.count("rule_based") == 2 + 1  # SegCls g, Cls, Multitask (head and g share one)
    assert {"threshold", "fc", "gap_fc", "cnn", "embedding_simple_shallow", "embedding_simple_deep",
            "embedding_complex_shallow", "embedding_complex_deep"} <= set(fitted)
    assert all(folds == (0, 1) and mirroring is False for _, folds, mirroring in fake.calls["load"])
    assert _record(plan, "summarizers", 80, 0, "segcls_emb_complex_deep")["summarizer"] == "embedding_complex_deep"
