"""Expand experiments x dimensions x values x seeds into datasets, training jobs and runs.

A *dataset* is one generated synthetic dataset; a *job* one trainer on one dataset (its folds, or a
label-fraction subset); a *run* one method of one job in one (experiment, dimension, value, seed),
one record ``OUT/<experiment>/<dim>d/<value>/seed<k>/<method>.json``. A run is done when its record is
ok and its ``settings`` equal :meth:`Plan.settings` (another schedule, rule, dataset or trainer: redone).

Example:
    >>> from segcls3d.experiments.plan.suites import get_suite
    >>> plan = build_plan(get_suite("cpu"), ["target_size"], [3], [0], Path("out"), DatasetRegistry(None))
    >>> len(plan.datasets), len(plan.jobs), len(plan.runs)
    (2, 6, 10)
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional, Sequence

from segcls3d.experiments.plan.datasets import REGISTRY_FILENAME, DatasetRegistry, DatasetSpec, dataset_for
from segcls3d.experiments.plan.methods import (
    BASE_METHODS,
    PSEUDOLABEL_MODES,
    SEMISUP_METHODS,
    SUMMARIZER_COMPARISON_METHODS,
    Method,
)
from segcls3d.experiments.plan.suites import EXPERIMENT_LETTERS, ExperimentConfigError, Suite, Sweep, value_label
from segcls3d.io.records import RecordFolder

# 5: classification heads pool average + maximum; 4: trained with label-aware sampling;
# 3: records carry their "settings"; 2: "rule" and the test-set Dice
SCHEMA_VERSION = 5
RUNS_FOLDER, NNUNET_FOLDER = "_runs", "_nnunet"
OK = "ok"


def plans_name(preset: Optional[str]) -> str:
    """Plans identifier (``-p``): ``nnUNetPlans`` or ``nnUNetPlans_<preset>``."""
    return "nnUNetPlans" if not preset else f"nnUNetPlans_{Path(preset).stem}"


@dataclass(frozen=True)
class Job:
    """One trainer on one dataset and the methods scored from it."""

    dataset_key: str
    family: str
    trainer: str
    folds: tuple[int, ...]  # empty with a label fraction: its fold of the dataset's splits is chosen at run time
    npz: bool  # export validation probabilities (to fit trained summarizers)
    methods: tuple[Method, ...]
    label_fraction: Optional[float] = None  # f < 1: train on a class-stratified subset (semi-supervised experiment)
    pseudolabel: Optional[str] = None  # ``plain`` | ``boosted``: a student trained on the teacher's pseudo masks

    @property
    def variant(self) -> str:
        """``""``, or ``__f0.1`` / ``__f0.1_boosted`` for the semi-supervised jobs."""
        if self.label_fraction is None:
            return ""
        return f"__f{self.label_fraction:g}" + (f"_{self.pseudolabel}" if self.pseudolabel else "")

    @property
    def key(self) -> str:
        return f"{self.dataset_key}:{self.trainer}{self.variant}"


@dataclass(frozen=True)
class Run:
    """One method of one job in one (experiment, dimension, value, seed): one record."""

    experiment: str
    dim: int
    value: float
    seed: int
    method: Method
    job_key: str

    @property
    def key(self) -> str:
        """The record's path under OUT without ``.json``."""
        return f"{self.experiment}/{self.dim}d/{value_label(self.value)}/seed{self.seed}/{self.method.name}"


@dataclass
class Plan:
    """Datasets, jobs and runs of one invocation, in execution order, and where their records live."""

    suite: Suite
    out: Path
    registry: DatasetRegistry
    datasets: dict[str, DatasetSpec] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)
    sweeps: dict[str, Sweep] = field(default_factory=dict)

    @property
    def plans_name(self) -> str:
        """nnU-Net plans identifier (``-p``) of every training."""
        return plans_name(self.suite.preset)

    @property
    def records(self) -> RecordFolder:
        """The run records, ``OUT/<run.key>.json``."""
        return RecordFolder(self.out)

    def dataset_name(self, key: str) -> str:
        return str(self.registry.entries[key]["name"])

    def dataset_id(self, key: str) -> int:
        return int(self.registry.entries[key]["id"])

    def work_dir(self, dataset_key: str) -> Path:
        return self.out / RUNS_FOLDER / self.dataset_name(dataset_key)

    def job_dir(self, job: Job) -> Path:
        return self.work_dir(job.dataset_key) / f"{job.trainer}__{self.plans_name}{job.variant}"

    def job_records(self, job: Job) -> RecordFolder:
        """The job's own records by method, shared by every experiment that uses the same training."""
        return RecordFolder(self.job_dir(job) / "results")

    def rule_tau(self, dataset_key: str) -> float:
        """tau (voxels) of the rule-based g on a dataset (see :meth:`Suite.rule_tau`)."""
        spec = self.datasets[dataset_key]
        return self.suite.rule_tau(spec.dim, float(spec.synth["target_size"]))

    def job_settings(self, job: Job, method: Method) -> dict[str, Any]:
        """Everything that determines the result of ``method`` in ``job``."""
        spec, schedule = self.datasets[job.dataset_key], self.suite.schedule
        return {"schema": SCHEMA_VERSION, "suite": self.suite.name, "dataset": job.dataset_key, "dim": spec.dim,
                "seed": spec.seed, "trainer": job.trainer, "plans": self.plans_name,
                "schedule": [schedule.epochs, schedule.iterations, schedule.val_iterations],
                "label_fraction": job.label_fraction, "method": method.name,
                "rule": method.rule(self.rule_tau(job.dataset_key)), "test_mirroring": self.suite.test_mirroring}

    def settings(self, run: Run) -> dict[str, Any]:
        """The planned settings of a run: its job's plus the experiment and swept value."""
        return {**self.job_settings(self.jobs[run.job_key], run.method), "experiment": run.experiment,
                "value": run.value}

    def is_done(self, run: Run) -> bool:
        """The run's record is ok and was made with the settings planned now."""
        return self.records.is_done(run.key, self.settings(run), done=(OK,))

    def job_done(self, job: Job, method: Method) -> bool:
        """The job's own record of ``method`` is ok with the planned settings (another experiment ran it)."""
        return self.job_records(job).is_done(method.name, self.job_settings(job, method), done=(OK,))

    def state(self, run: Run) -> str:
        """``done``, ``cached`` (finished in a shared job) or ``todo``."""
        if self.is_done(run):
            return "done"
        return "cached" if self.job_done(self.jobs[run.job_key], run.method) else "todo"

    def runs_of(self, job_key: str) -> list[Run]:
        return [r for r in self.runs if r.job_key == job_key]


def build_plan(suite: Suite, experiments: Sequence[str], dims: Sequence[int], seeds: Optional[Sequence[int]],
               out: Path, registry: Optional[DatasetRegistry] = None) -> Plan:
    """All datasets, jobs and runs of ``experiments`` (names, letters or ``all``), ordered by dim, seed, experiment.

    ``registry`` (dataset ids) defaults to ``OUT/datasets.json``, written as ids are allocated.

    Raises:
        ExperimentConfigError: unknown experiment, dimension or invalid settings.
        DatasetRegistryError: unreadable registry or no free id.
    """
    out = Path(out)
    chosen = suite.sweeps.values() if not experiments or "all" in experiments else map(suite.sweep, experiments)
    sweeps = sorted({s.name: s for s in chosen}.values(), key=lambda s: list(EXPERIMENT_LETTERS).index(s.name))
    if not dims or any(d not in (2, 3) for d in dims):
        raise ExperimentConfigError(f"--dim must be 2 and/or 3, got {list(dims)}")
    plan = Plan(suite, out, registry if registry is not None else DatasetRegistry(out / REGISTRY_FILENAME),
                sweeps={s.name: s for s in sweeps})
    for dim in sorted(set(dims)):
        for seed in tuple(seeds or suite.seeds):
            for sweep in sweeps:
                for value in sweep.values[dim]:
                    _add(plan, sweep, dim, float(value), seed)
    return plan


def _add(plan: Plan, sweep: Sweep, dim: int, value: float, seed: int) -> None:
    dataset = dataset_for(plan.suite, sweep, dim, value, seed)
    if dataset.key not in plan.datasets:
        plan.datasets[dataset.key] = dataset
        plan.registry.allocate(dataset.key, dim, dataset.describe())
    semisup = sweep.variable == "label_fraction"
    fraction = value if semisup and value < 1.0 else None  # f = 1: the shared models
    methods = SEMISUP_METHODS if semisup else SUMMARIZER_COMPARISON_METHODS if sweep.summarizer_comparison \
        else BASE_METHODS
    for method in methods:
        mode = PSEUDOLABEL_MODES.get(method.name)
        if mode and fraction is None:
            continue  # nothing left to pseudo-label
        npz = dataset.cv_folds > 0 and not method.is_rule_based
        job = Job(dataset.key, method.trainer, plan.suite.schedule.trainer(method.trainer),
                  dataset.folds if fraction is None else (), npz, (method,), fraction, mode)
        previous = plan.jobs.get(job.key)
        if previous is not None:  # the same training requested by another method or experiment: merge
            job = replace(previous, npz=previous.npz or npz, methods=previous.methods + tuple(
                m for m in job.methods if m not in previous.methods))
        plan.jobs[job.key] = job
        plan.runs.append(Run(sweep.name, dim, value, seed, method, job.key))
