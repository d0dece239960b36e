"""Experiment planning: sweeps as data, shared default point, dataset ids, splits, cost estimate."""
from __future__ import annotations

import json

import pytest

from segcls3d.experiments.plan import (
    DatasetRegistry,
    DatasetRegistryError,
    ExperimentConfigError,
    build_plan,
    estimate_plan,
    get_suite,
    with_overrides,
)
from segcls3d.experiments.plan.datasets import dataset_for
from segcls3d.experiments.plan.describe import COST_MODELS, format_duration
from segcls3d.experiments.plan.suites import SCHEDULES
from segcls3d.training import schedules


def _plan(tmp_path, names, dims=(2,), seeds=(0,), suite="cpu"):
    return build_plan(get_suite(suite), names, list(dims), list(seeds), tmp_path, registry=DatasetRegistry(None))


@pytest.mark.parametrize("suite", ["cpu", "full"])
def test_every_sweep_value_is_a_valid_dataset(tmp_path, suite):
    plan = _plan(tmp_path, ["all"], dims=(2, 3), seeds=(0, 1, 2), suite=suite)  # SynthConfig validates each
    s = get_suite(suite)
    n_values = sum(len(sw.values[d]) for sw in s.sweeps.values() for d in (2, 3))
    assert len({(r.experiment, r.dim, r.value, r.seed) for r in plan.runs}) == n_values * 3
    assert {r.method.name for r in plan.runs if r.experiment == "summarizers"} >= {
        "segcls_g", "segcls_threshold", "segcls_fc", "segcls_gap_fc", "segcls_cnn", "segcls_emb_simple_shallow",
        "segcls_emb_simple_deep", "segcls_emb_complex_shallow", "segcls_emb_complex_deep", "cls",
        "multitask_head", "multitask_g"}


def test_default_point_is_shared_between_experiments(tmp_path):
    plan = _plan(tmp_path, ["a", "e", "b"])
    # a: 20, 80 (default); b: 0.05, 0.5 (default); e: 2.5, 4 (default) -> 4 datasets, not 6
    assert len(plan.datasets) == 4 and len(plan.jobs) == 12
    assert len(plan.runs) == 6 * 5  # g (suite tau), g (tau 10), Cls, Multitask head and g
    default = [r for r in plan.runs if (r.experiment, r.value) in {("training_size", 80), ("target_size", 4),
                                                                   ("prevalence_low", 0.5)}]
    assert len({r.job_key for r in default}) == 3  # SegCls, Cls, Multitask trained once
    assert [s.name for s in plan.sweeps.values()] == ["training_size", "prevalence_low", "target_size"]
    assert str(plan.records.path(default[0].key)).endswith("training_size/2d/80/seed0/segcls_g.json")


def test_dataset_settings_follow_the_paper(tmp_path):
    cpu, full = get_suite("cpu"), get_suite("full")
    spec = dataset_for(cpu, cpu.sweep("f"), 3, 1.0, 2)
    assert spec.synth["spurious"] == 1.0 and spec.seed == 2 and spec.n_train == 80 and spec.n_val == 4
    config = spec.synth_config("Dataset500_X")
    assert config.n_train == 84 and config.split_params("test").spurious == 0.5  # test split unbiased
    splits = spec.splits()
    assert len(splits) == 1 and len(splits[0]["train"]) == 80 and splits[0]["val"][0] == "synth_0080"
    spur = dataset_for(full, full.sweep("spurious"), 2, 0.9, 0)
    assert spur.synth["spurious_size"] == pytest.approx(28.0)  # Table A3: spurious object 28
    assert dataset_for(full, full.sweep("e"), 2, 16, 0).n_train == 10_000  # Table A3: target size at 10k
    cv = dataset_for(cpu, cpu.sweep("h"), 2, 80, 0)
    assert cv.cv_folds == 2 and cv.n_val == 0 and cv.folds == (0, 1)
    folds = cv.splits()
    assert sorted(folds[0]["val"] + folds[1]["val"]) == sorted(folds[0]["train"] + folds[0]["val"])


def test_summarizer_comparison_jobs(tmp_path):
    plan = _plan(tmp_path, ["h"])
    seg = next(j for j in plan.jobs.values() if j.family == "SegCls")
    assert seg.npz and seg.folds == (0, 1) and len(seg.methods) == 10  # 2 rule-based + 8 trained
    assert all(not j.npz for j in plan.jobs.values() if j.family != "SegCls")


def test_registry_ids_persist_and_refuse_conflicts(tmp_path):
    path = tmp_path / "datasets.json"
    plan = build_plan(get_suite("cpu"), ["e"], [2, 3], [0], tmp_path, registry=DatasetRegistry(path, 600, 610))
    ids = {plan.dataset_id(k) for k in plan.datasets}
    assert ids == set(range(600, 604))
    again = build_plan(get_suite("cpu"), ["e"], [3], [0], tmp_path, registry=DatasetRegistry(path, 600, 610))
    assert {again.dataset_id(k) for k in again.datasets} == {plan.dataset_id(k) for k in plan.datasets
                                                             if plan.datasets[k].dim == 3}
    assert json.loads(path.read_text())["id_range"] == [600, 610]
    with pytest.raises(DatasetRegistryError, match="no free"):
        build_plan(get_suite("cpu"), ["a", "b"], [2], [0], tmp_path, registry=DatasetRegistry(path, 600, 604))


def test_unknown_names_are_user_errors(tmp_path):
    with pytest.raises(ExperimentConfigError, match="unknown experiment"):
        _plan(tmp_path, ["nope"])
    with pytest.raises(ExperimentConfigError, match="unknown configuration"):
        get_suite("gpu")
    with pytest.raises(ExperimentConfigError, match="unknown schedule"):
        with_overrides(get_suite("cpu"), schedule="_fast")
    with pytest.raises(ExperimentConfigError, match="target_size"):  # radius 40 does not fit 64x64
        build_plan(with_overrides(get_suite("cpu"), experiment="e", values=[40]), ["e"], [2], [0], tmp_path,
                   registry=DatasetRegistry(None))


def test_overrides_and_estimate(tmp_path):
    suite = with_overrides(get_suite("cpu"), schedule="_smoke", experiment="e", values=[3, 5])
    plan = build_plan(suite, ["e"], [2], [0], tmp_path, registry=DatasetRegistry(None))
    assert plan.suite.schedule == SCHEDULES["_smoke"] and len(plan.datasets) == 2
    assert (SCHEDULES["_smoke"].epochs, SCHEDULES["_smoke"].iterations) == schedules.SMOKE[:2] == (2, 10)
    assert (SCHEDULES["_exp"].epochs, SCHEDULES["_exp"].iterations, SCHEDULES["_exp"].val_iterations) == (20, 40, 2)
    assert (SCHEDULES[""].epochs, SCHEDULES[""].iterations) == (1000, 250)  # nnU-Net's own
    assert {j.trainer for j in plan.jobs.values()} == {"nnUNetTrainerSegCls_smoke", "nnUNetTrainerCls_smoke",
                                                       "nnUNetTrainerMultitask_smoke"}
    est = estimate_plan(plan)
    cost = COST_MODELS["cpu"]
    seg = cost.training_s(2, 2, 10, 2)
    assert seg == pytest.approx(12 + 2 * (10 * 0.07 + 2 * 0.07 * 0.4 + 0.7))
    cls = cost.training_s(2, 2, 10, 2, "Cls")
    assert cls == pytest.approx(12 + 2 * (10 * 0.07 * 0.5 + 2 * 0.07 * 0.5 * 0.4 + 0.7))
    # per dataset: SegCls predicts twice (suite tau and tau = 10), Cls and Multitask once
    expected = 2 * (2 * seg + cls) + 8 * cost.prediction_s(2, 40, 1) + 2 * cost.preparation_s(2, 80 + 4 + 40)
    assert est.total_s == pytest.approx(expected) and est.n_trainings == 6 and est.n_datasets == 2
    assert format_duration(3 * 3600 + 5 * 60) == "3 h 05 min" and format_duration(40) == "40 s"
