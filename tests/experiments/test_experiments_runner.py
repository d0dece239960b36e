"""The runner's resume and failure logic, with the nnU-Net steps replaced by fakes (no training here)."""
from __future__ import annotations

import json

import pytest
from experiment_fakes import ENV_KEYS, FakeSteps

from segcls3d.experiments.plan import DatasetRegistry, build_plan, get_suite, with_overrides
from segcls3d.experiments.run import run_plan
from segcls3d.experiments.run import steps as steps_module


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
    assert summary.n_runs == 2 * 2 * 2 * 5 and summary.n_written == 40 and not summary.failures
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
    assert seg["rule"] == {"threshold": 0.5, "tau": 25.0, "tau_unit": "voxels"}  # the cpu suite's 2D tau
    assert _record(plan, "training_size", 80, 0, "segcls_g_tau10")["rule"]["tau"] == 10.0
    # make_summarizer gets the dataset's tau: half the target area, radius 4 -> 25 pixels, radius 2.5 -> 10
    assert {c[2] for c in fake.calls["fit"]} == {25.0, 10.0}
    assert _record(plan, "target_size", 2.5, 0, "segcls_g")["rule"]["tau"] == 10.0
    cls = _record(plan, "training_size", 20, 1, "cls")
    # scores .6 .4 .7 .3 .8 | .5 .2 .6 .1 .4 at p >= .5: recall 3/5, specificity 3/5
    assert cls["source"] == "head" and cls["metrics"]["balanced_accuracy"]["value"] == pytest.approx(0.6)
    assert cls["metrics"]["auroc"]["value"] == pytest.approx(0.76) and cls["rule"] is None
    head = _record(plan, "training_size", 20, 0, "multitask_head")
    assert head["source"] == "head" and head["trainer"] == "nnUNetTrainerMultitask_exp"
    assert head["dataset"]["id"] in range(500, 1000) and head["dataset"]["name"].endswith("_SegClsExp2D")
    registry = json.loads((plan.out / "datasets.json").read_text())["datasets"]
    assert len(registry) == 6 and {e["id"] for e in registry.values()} == set(range(500, 506))

    for calls in fake.calls.values():
        calls.clear()
    again = run_plan(_plan(tmp_path / "out"), device="cpu")  # resume: everything done, nothing runs
    assert again.n_already_done == 40 and again.n_written == 0
    assert not any(fake.calls.values())


def test_failures_are_recorded_others_go_on_and_are_retried(fake, tmp_path):
    plan = _plan(tmp_path / "out", names=("e",), seeds=(0,))
    default_name = plan.dataset_name(next(plan.jobs[r.job_key].dataset_key for r in plan.runs if r.value == 4.0))
    small_name = plan.dataset_name(next(plan.jobs[r.job_key].dataset_key for r in plan.runs if r.value == 2.5))
    fake.fail_train.add((default_name, "nnUNetTrainerCls_exp"))
    fake.fail_prepare.add(small_name)
    summary = run_plan(plan, device="cpu")
    assert summary.n_written == 10 and len(summary.failures) == 1 + 5
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
    assert retry.n_already_done == 4 and retry.n_written == 6 and not retry.failures
    assert sorted(c[1] for c in fake.calls["train"]) == sorted(
        ["nnUNetTrainerCls_exp", "nnUNetTrainerSegCls_exp", "nnUNetTrainerCls_exp", "nnUNetTrainerMultitask_exp"])


def test_other_schedule_makes_old_results_stale(fake, tmp_path):
    run_plan(_plan(tmp_path / "out", names=("e",), seeds=(0,)), device="cpu")
    smoke = with_overrides(get_suite("cpu"), schedule="_smoke")
    plan = _plan(tmp_path / "out", names=("e",), seeds=(0,), suite=smoke)
    assert {plan.state(r) for r in plan.runs} == {"todo"}
    run_plan(plan, device="cpu")
    assert _record(plan, "target_size", 4, 0, "segcls_g")["trainer"] == "nnUNetTrainerSegCls_smoke"


def test_summarizer_comparison_fits_each_method_once(fake, tmp_path):
    plan = _plan(tmp_path / "out", names=("h",), seeds=(0,))
    summary = run_plan(plan, device="cpu")
    assert summary.n_written == 13 and not summary.failures
    seg_train = [c for c in fake.calls["train"] if "SegCls" in c[1]]
    assert seg_train == [(seg_train[0][0], "nnUNetTrainerSegCls_exp", (0, 1), True)]
    fitted = sorted(s for _, s, _ in fake.calls["fit"])
    assert fitted.count("rule_based") == 2 + 1  # SegCls g, Cls, Multitask (head and g share one)
    assert fitted.count("rule_based_tau10") == 1
    assert {"threshold", "fc", "gap_fc", "cnn", "embedding_simple_shallow", "embedding_simple_deep",
            "embedding_complex_shallow", "embedding_complex_deep"} <= set(fitted)
    assert all(folds == (0, 1) and mirroring is False for _, folds, mirroring in fake.calls["load"])
    assert _record(plan, "summarizers", 80, 0, "segcls_emb_complex_deep")["summarizer"] == "embedding_complex_deep"


def test_a_record_made_with_other_settings_is_redone_and_a_matching_one_is_skipped(fake, tmp_path):
    plan = _plan(tmp_path / "out", names=("e",), seeds=(0,))
    run_plan(plan, device="cpu")
    run = next(r for r in plan.runs if r.value == 4.0 and r.method.name == "segcls_g")
    other = next(r for r in plan.runs if r.value == 2.5 and r.method.name == "cls")
    path, job_path = plan.records.path(run.key), plan.job_records(plan.jobs[run.job_key]).path("segcls_g")
    record = json.loads(path.read_text())
    assert record["settings"] == {
        "schema": 5, "suite": "cpu", "dataset": plan.jobs[run.job_key].dataset_key, "dim": 2, "seed": 0,
        "trainer": "nnUNetTrainerSegCls_exp", "plans": "nnUNetPlans_cpu_tiny", "schedule": [20, 40, 2],
        "label_fraction": None, "method": "segcls_g", "rule": {"threshold": 0.5, "tau": 25.0, "tau_unit": "voxels"},
        "test_mirroring": False, "experiment": "target_size", "value": 4.0}
    untouched = plan.records.path(other.key).read_text()

    # the run's record was made with another tau; the job's own record is still current: copied, not recomputed
    path.write_text(json.dumps({**record, "settings": {**record["settings"], "rule": {"tau": 10.0}}}))
    assert plan.state(run) == "cached" and plan.state(other) == "done"
    for calls in fake.calls.values():
        calls.clear()
    summary = run_plan(_plan(tmp_path / "out", names=("e",), seeds=(0,)), device="cpu")
    assert summary.n_already_done == 9 and summary.n_written == 1 and not any(fake.calls.values())
    assert json.loads(path.read_text())["settings"] == plan.settings(run)

    # both records made with another schedule: the method is predicted and evaluated again
    for p in (path, job_path):
        stale = json.loads(p.read_text())
        p.write_text(json.dumps({**stale, "settings": {**stale["settings"], "schedule": [2, 10, 2]}}))
    assert plan.state(run) == "todo"
    summary = run_plan(_plan(tmp_path / "out", names=("e",), seeds=(0,)), device="cpu")
    assert summary.n_already_done == 9 and summary.n_written == 1
    assert [c[1:] for c in fake.calls["train"]] == [("nnUNetTrainerSegCls_exp", (0,), False)]
    assert [c[2] for c in fake.calls["predict"]] == ["rule_based"]
    assert json.loads(path.read_text())["settings"] == plan.settings(run) and plan.is_done(run)
    assert json.loads(job_path.read_text())["settings"] == plan.job_settings(plan.jobs[run.job_key], run.method)
    assert plan.records.path(other.key).read_text() == untouched  # a matching record is never rewritten
