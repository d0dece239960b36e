"""``segcls3d experiment --dry-run``: what would run, what is done, and how long the rest should take.

The estimate applies the suite's :class:`CostModel` (seconds per iteration, per case, per start)
to the work not finished yet: a dataset is prepared when its marker file exists, a fold is trained
when its ``checkpoint_final.pth`` exists, a method is finished when its job's record is done.

Example:
    >>> round(COST_MODELS["cpu"].training_s(3, epochs=10, iterations=40, val_iterations=2))  # 12 + 10 x 5.6
    68
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping, Optional

from segcls3d import pipeline
from segcls3d.experiments.plan.build import NNUNET_FOLDER, Plan
from segcls3d.experiments.plan.suites import value_label

PREPARED_MARKER = "prepared.json"
FAMILY_FACTOR = {"SegCls": 1.0, "Multitask": 1.0, "Cls": 0.5}  # cost of an iteration relative to SegCls
VAL_ITERATION_FRACTION = 0.4  # a validation iteration relative to a training one (no backward)


@dataclass(frozen=True)
class CostModel:
    """Seconds per step of the nnU-Net pipeline; ``{2: s, 3: s}`` fields are per dimension."""

    seconds_per_iteration: Mapping[int, float]  # SegCls/Multitask training: forward, backward, augmentation
    train_startup_s: float  # ``nnUNetv2_train`` process start and initialization, final checkpoint
    epoch_overhead_s: float  # logging, progress plot, checkpoint_best
    final_validation_startup_s: float  # nnU-Net's final validation of a fold (``--npz`` runs only)
    final_validation_s_per_case: Mapping[int, float]  # per held-out case, export included
    predict_startup_s: float  # loading a model
    predict_s_per_case: Mapping[int, float]  # one case, one fold: sliding window, summarizer, writing
    prepare_startup_s: float  # fingerprint, planning, preprocessing
    prepare_s_per_case: Mapping[int, float]  # generating and preprocessing one case
    summarizer_fit_s: Mapping[int, float]  # one trained summarizer, learning-rate search included
    note: str  # where the numbers come from

    def training_s(self, dim: int, epochs: int, iterations: int, val_iterations: int, family: str = "SegCls") -> float:
        """One ``nnUNetv2_train`` run without final validation."""
        it = self.seconds_per_iteration[dim] * FAMILY_FACTOR.get(family, 1.0)
        per_epoch = iterations * it + val_iterations * it * VAL_ITERATION_FRACTION + self.epoch_overhead_s
        return self.train_startup_s + epochs * per_epoch

    def prediction_s(self, dim: int, n_cases: int, n_folds: int) -> float:
        """Predicting ``n_cases`` test cases with an ensemble of ``n_folds`` models."""
        return self.predict_startup_s + n_cases * n_folds * self.predict_s_per_case[dim]

    def preparation_s(self, dim: int, n_cases: int) -> float:
        """Generating, planning and preprocessing a dataset of ``n_cases`` cases."""
        return self.prepare_startup_s + n_cases * self.prepare_s_per_case[dim]


#: The time model of each configuration (by :attr:`Suite.name`).
COST_MODELS: Mapping[str, CostModel] = MappingProxyType({
    "cpu": CostModel(
        seconds_per_iteration={2: 0.07, 3: 0.12}, train_startup_s=12.0, epoch_overhead_s=0.7,
        final_validation_startup_s=5.0, final_validation_s_per_case={2: 2.5, 3: 3.0}, predict_startup_s=2.0,
        predict_s_per_case={2: 0.08, 3: 0.15}, prepare_startup_s=10.0, prepare_s_per_case={2: 0.12, 3: 0.25},
        summarizer_fit_s={2: 30.0, 3: 60.0},
        note="2-core CPU, cpu_tiny plans; 3D: 0.11-0.12 s/it (SegCls, 32^3, batch 4) and Cls 0.5x, 2D: "
             "0.065 s/it (64x64, batch 4), epoch times of the suite on an otherwise idle machine"),
    "full": CostModel(
        seconds_per_iteration={2: 0.1, 3: 0.15}, train_startup_s=60.0, epoch_overhead_s=5.0,
        final_validation_startup_s=30.0, final_validation_s_per_case={2: 0.05, 3: 0.1}, predict_startup_s=10.0,
        predict_s_per_case={2: 0.02, 3: 0.05}, prepare_startup_s=60.0, prepare_s_per_case={2: 0.02, 3: 0.05},
        summarizer_fit_s={2: 600.0, 3: 900.0},
        note="assumed single modern GPU with nnU-Net's default plans (not measured)"),
})


def format_duration(seconds: float) -> str:
    """``3 h 05 min``, ``12 min``, ``40 s``."""
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.0f} s"
    hours, minutes = divmod(int(round(seconds / 60)), 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


@dataclass
class Estimate:
    """Seconds of remaining work, in total and per dimension / per job, and the steps counted."""

    total_s: float = 0.0
    per_dim_s: dict[int, float] = field(default_factory=dict)
    per_job_s: dict[str, float] = field(default_factory=dict)
    n_trainings: int = 0
    n_predictions: int = 0
    n_fits: int = 0
    n_datasets: int = 0

    def add(self, dim: int, seconds: float) -> None:
        self.per_dim_s[dim] = self.per_dim_s.get(dim, 0.0) + seconds
        self.total_s += seconds


def estimate_plan(plan: Plan) -> Estimate:
    """Cost-model estimate of everything not finished yet."""
    cost, schedule = COST_MODELS[plan.suite.name], plan.suite.schedule
    est = Estimate()
    to_prepare: set[str] = set()
    for job in plan.jobs.values():
        dataset = plan.datasets[job.dataset_key]
        dim = dataset.dim
        pending = [m for m in job.methods if not plan.job_done(job, m)]
        seconds = 0.0
        if pending:
            to_prepare.add(job.dataset_key)
            folder = pipeline.model_folder(plan.out / NNUNET_FOLDER / "nnUNet_results",
                                           plan.dataset_name(job.dataset_key), job.trainer, plan.plans_name,
                                           dataset.configuration)
            trained = [(folder / f"fold_{f}" / "checkpoint_final.pth").is_file() for f in job.folds]
            n_train = trained.count(False) if job.folds else 1  # a label-fraction job: its one fold, assumed untrained
            est.n_trainings += n_train
            seconds += n_train * cost.training_s(dim, schedule.epochs, schedule.iterations, schedule.val_iterations,
                                                 job.family)
            if job.npz:  # nnU-Net's final validation of each fold
                n_val = dataset.n_train // max(1, dataset.cv_folds) if dataset.cv_folds else dataset.n_val
                seconds += n_train * (cost.final_validation_startup_s + n_val * cost.final_validation_s_per_case[dim])
            if job.pseudolabel:  # the student's dataset: pseudo-labelled, planned and preprocessed
                seconds += cost.preparation_s(dim, dataset.n_train + dataset.n_val)
            summarizers = {m.summarizer_id for m in pending}
            est.n_predictions += len(summarizers)
            seconds += len(summarizers) * cost.prediction_s(dim, int(dataset.synth["n_test"]), len(job.folds) or 1)
            fits = {m.summarizer_id for m in pending if not m.is_rule_based}
            est.n_fits += len(fits)
            seconds += len(fits) * cost.summarizer_fit_s[dim]
        est.per_job_s[job.key] = seconds
        est.add(dim, seconds)
    for key in to_prepare:
        if not (plan.work_dir(key) / PREPARED_MARKER).is_file():
            dataset = plan.datasets[key]
            est.n_datasets += 1
            est.add(dataset.dim, cost.preparation_s(dataset.dim, dataset.n_train + dataset.n_val
                                                    + int(dataset.synth["n_test"])))
    return est


def describe_plan(plan: Plan, estimate: Optional[Estimate] = None, list_jobs: bool = True) -> str:
    """Header (counts, schedule, cost model, estimate) and one line per training job."""
    estimate = estimate or estimate_plan(plan)
    suite, schedule, cost = plan.suite, plan.suite.schedule, COST_MODELS[plan.suite.name]
    states = {r: plan.state(r) for r in plan.runs}
    counts = Counter(states.values())
    ids = sorted(plan.dataset_id(k) for k in plan.datasets)
    lines = [
        f"experiment plan: configuration '{suite.name}', output {plan.out}",
        "experiments: " + ", ".join(f"{s.letter}) {s.name} (Fig. {s.figure})" for s in plan.sweeps.values()),
        f"dimensions: {', '.join(f'{d}D' for d in sorted({d.dim for d in plan.datasets.values()}))}; seeds: "
        + " ".join(map(str, sorted({d.seed for d in plan.datasets.values()}))),
        f"runs (metrics files): {len(plan.runs)} - done {counts['done']}, finished in a shared run "
        f"{counts['cached']}, to do {counts['todo']}",
        f"datasets: {len(plan.datasets)} (nnU-Net ids {ids[0] if ids else '-'}..{ids[-1] if ids else '-'}, "
        f"recorded in {plan.registry.path or 'memory'}); training runs: "
        f"{sum(len(j.folds) or 1 for j in plan.jobs.values())} ({len(plan.jobs)} jobs x folds)",
        f"schedule: {schedule.trainer('<SegCls|Cls|Multitask>')} = {schedule.epochs} epochs x "
        f"{schedule.iterations} iterations; plans {plan.plans_name}; test-time mirroring "
        f"{'on' if suite.test_mirroring else 'off'}",
        f"cost model: {cost.seconds_per_iteration[2]:g} s/it 2D, {cost.seconds_per_iteration[3]:g} s/it 3D, "
        f"{cost.train_startup_s:g} s per nnUNetv2_train start, {cost.predict_s_per_case[2]:g}/"
        f"{cost.predict_s_per_case[3]:g} s per test case 2D/3D ({cost.note})",
        f"to do: {estimate.n_datasets} dataset preparations, {estimate.n_trainings} trainings, "
        f"{estimate.n_fits} summarizer fits, {estimate.n_predictions} test-set predictions",
        "estimated time to finish: " + ", ".join(f"{d}D {format_duration(s)}" for d, s in
                                                 sorted(estimate.per_dim_s.items()))
        + f"; total {format_duration(estimate.total_s)}",
    ]
    if list_jobs:
        lines += ["", _job_table(plan, estimate, states)]
    return "\n".join(lines)


def _job_table(plan: Plan, estimate: Estimate, states: dict) -> str:
    uses: dict[str, list[str]] = defaultdict(list)
    todo: dict[str, Counter] = defaultdict(Counter)
    for run, state in states.items():
        label = f"{plan.sweeps[run.experiment].letter}={value_label(run.value)}"
        if label not in uses[run.job_key]:
            uses[run.job_key].append(label)
        todo[run.job_key][state] += 1
    header = f"{'dim':<4}{'seed':<5}{'dataset':<26}{'trainer':<40}{'folds':<6}{'used by (experiment=value)':<34}" \
             f"{'runs todo/all':<15}{'est.':>8}"
    rows = [header, "-" * len(header)]
    for job in plan.jobs.values():
        dataset, n = plan.datasets[job.dataset_key], todo[job.key]
        rows.append(f"{dataset.dim}D  {dataset.seed:<5}{plan.dataset_name(job.dataset_key):<26}"
                    f"{job.trainer + job.variant:<40}{len(job.folds) or 1:<6}{' '.join(uses[job.key]):<34}"
                    f"{n['todo']}/{sum(n.values()):<13}{format_duration(estimate.per_job_s[job.key]):>8}")
    return "\n".join(rows)
