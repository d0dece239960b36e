"""Expand experiments x dimensions x values x seeds into datasets, training jobs and result files.

A *dataset* is one generated synthetic dataset (keyed by its settings, so the default point shared
by several experiments is generated and trained once); a *job* is one trainer on one dataset (one
or more folds); a *target* is one metrics JSON ``OUT/<experiment>/<dim>d/<value>/seed<k>/<method>.json``.

Example:
    >>> from segcls3d.experiments.suites import get_suite
    >>> plan = build_plan(get_suite("cpu"), ["target_size"], [3], [0], Path("out"))
    >>> len(plan.datasets), len(plan.jobs), len(plan.targets)
    (2, 6, 10)
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

from segcls3d.experiments.methods import (BASE_METHODS, SUMMARIZER_COMPARISON_METHODS, TRAINER_ORDER, Method,
                                          methods_for_trainer, rule_parameters)
from segcls3d.experiments.registry import REGISTRY_FILENAME, DatasetRegistry
from segcls3d.experiments.suites import ExperimentConfigError, Suite
from segcls3d.experiments.sweeps import EXPERIMENT_LETTERS, Sweep, value_label

RUNS_FOLDER = "_runs"
NNUNET_FOLDER = "_nnunet"


@dataclass(frozen=True)
class DatasetSpec:
    """One synthetic dataset: SynthConfig settings, seed, training size and split.

    ``n_val`` extra cases form nnU-Net's holdout validation fold (``cv_folds == 0``); with
    ``cv_folds = k`` the ``n_train`` cases are split into k cross-validation folds instead.
    """

    dim: int
    seed: int
    synth: Mapping[str, Any]
    n_train: int
    n_val: int
    cv_folds: int = 0

    @property
    def key(self) -> str:
        """Content hash of everything that defines the data and the split."""
        text = json.dumps(self.describe(), sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:12]

    @property
    def folds(self) -> tuple[int, ...]:
        return tuple(range(self.cv_folds)) if self.cv_folds else (0,)

    @property
    def configuration(self) -> str:
        """nnU-Net configuration trained on this dataset."""
        return "2d" if self.dim == 2 else "3d_fullres"

    def describe(self) -> dict[str, Any]:
        return {"dim": self.dim, "seed": self.seed, "n_train": self.n_train, "n_val": self.n_val,
                "cv_folds": self.cv_folds, "synth": {k: _plain(v) for k, v in sorted(self.synth.items())}}

    def synth_config(self, dataset_name: str = "SegClsExp"):
        """The :class:`segcls3d.synth.SynthConfig` (training cases = n_train + n_val).

        Raises:
            SynthConfigError: invalid settings.
        """
        from segcls3d.synth import SynthConfig

        return SynthConfig(seed=self.seed, dataset_name=dataset_name, n_train=self.n_train + self.n_val,
                           **dict(self.synth))

    def splits(self) -> list[dict[str, list[str]]]:
        """nnU-Net's ``splits_final.json``: holdout (first n_train train, last n_val val) or k folds."""
        from segcls3d.synth.generator import case_id

        ids = [case_id("train", i) for i in range(self.n_train + self.n_val)]
        if self.cv_folds:
            from nnunetv2.utilities.crossval_split import generate_crossval_split

            return generate_crossval_split(ids, seed=12345 + self.seed, n_splits=self.cv_folds)
        return [{"train": ids[: self.n_train], "val": ids[self.n_train:]}]


@dataclass(frozen=True)
class JobSpec:
    """One trainer on one dataset: its folds, whether validation probabilities are kept, its methods."""

    dataset_key: str
    family: str
    trainer: str
    folds: tuple[int, ...]
    npz: bool
    methods: tuple[Method, ...]

    @property
    def key(self) -> str:
        return f"{self.dataset_key}:{self.trainer}"


@dataclass(frozen=True)
class Target:
    """One metrics JSON: experiment, dimension, swept value, seed and method."""

    experiment: str
    dim: int
    value: float
    seed: int
    method: Method
    job_key: str

    def relative_path(self) -> Path:
        return Path(self.experiment, f"{self.dim}d", value_label(self.value), f"seed{self.seed}",
                    f"{self.method.name}.json")


@dataclass
class Plan:
    """Datasets, jobs and targets of one invocation, in execution order."""

    suite: Suite
    out: Path
    registry: DatasetRegistry
    datasets: dict[str, DatasetSpec] = field(default_factory=dict)
    jobs: dict[str, JobSpec] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    sweeps: dict[str, Sweep] = field(default_factory=dict)

    @property
    def plans_name(self) -> str:
        """nnU-Net plans identifier (``-p``) of every training."""
        return "nnUNetPlans" if self.suite.preset is None else f"nnUNetPlans_{Path(self.suite.preset).stem}"

    def dataset_name(self, key: str) -> str:
        return self.registry.name(key)

    def dataset_id(self, key: str) -> int:
        return self.registry.dataset_id(key)

    def job_dir(self, job: JobSpec) -> Path:
        return self.out / RUNS_FOLDER / self.dataset_name(job.dataset_key) / f"{job.trainer}__{self.plans_name}"

    def target_path(self, target: Target) -> Path:
        return self.out / target.relative_path()

    def rule_tau(self, dataset_key: str) -> float:
        """tau (voxels) of the rule-based g on a dataset (see :meth:`Suite.rule_tau`)."""
        spec = self.datasets[dataset_key]
        return self.suite.rule_tau(spec.dim, float(spec.synth["target_size"]))

    def rule(self, job: JobSpec, method: Method) -> Optional[dict]:
        """The rule-based g parameters of ``method`` in ``job`` (None for trained summarizers and heads)."""
        return rule_parameters(method, self.rule_tau(job.dataset_key))

    def jobs_of(self, dataset_key: str) -> list[JobSpec]:
        return [j for j in self.jobs.values() if j.dataset_key == dataset_key]

    def targets_of(self, job_key: str) -> list[Target]:
        return [t for t in self.targets if t.job_key == job_key]


def resolve_experiments(suite: Suite, names: Sequence[str]) -> list[Sweep]:
    """Experiments of Figures 5/6 named (or lettered) in ``names``; ``all`` = all of them, in the paper's order.

    The semi-supervised experiment (``semisup``) is not among them: it has its own runner
    (:mod:`segcls3d.experiments.semisup_runner`).

    Raises:
        ExperimentConfigError: unknown name.
    """
    if not names or "all" in names:
        return list(suite.sweeps.values())
    chosen = [s for s in (suite.sweep(n) for n in names) if s.name != suite.semisup.name]
    order = list(EXPERIMENT_LETTERS)
    return sorted({s.name: s for s in chosen}.values(), key=lambda s: order.index(s.name))


def dataset_for(suite: Suite, sweep: Sweep, dim: int, value: float, seed: int) -> DatasetSpec:
    """The dataset of one (experiment, dimension, value, seed).

    Raises:
        ExperimentConfigError: the settings are not a valid synthetic dataset.
    """
    settings = dict(suite.base[dim])
    settings["n_test"] = suite.n_test
    n_train = suite.n_train
    factor = None
    for name, fixed in sweep.fixed.items():
        if name == "n_train":
            n_train = int(fixed)
        elif name == "spurious_size_factor":
            factor = float(fixed)
        else:
            settings[name] = fixed
    if sweep.variable == "n_train":
        n_train = int(value)
    else:
        settings[sweep.variable] = float(value)
    if factor is not None:
        settings["spurious_size"] = factor * float(settings["target_size"])
    cv = suite.cv_folds if sweep.summarizer_comparison else 0
    n_val = 0 if cv else suite.n_val
    if cv and n_train < 2 * cv:
        raise ExperimentConfigError(f"experiment {sweep.name}: {n_train} training images for {cv} folds")
    from segcls3d.synth import SynthConfig

    try:
        config = SynthConfig(seed=seed, n_train=n_train + n_val, **settings)
    except Exception as exc:  # SynthConfigError, or a TypeError for an unknown setting
        raise ExperimentConfigError(f"experiment {sweep.name} ({dim}D, {sweep.variable}={value:g}): {exc}") from None
    resolved = {k: v for k, v in config.to_dict().items() if k not in ("seed", "dataset_name", "n_train")}
    return DatasetSpec(dim, seed, resolved, n_train, n_val, cv)  # resolved: equal settings give equal keys


def build_plan(suite: Suite, experiments: Sequence[str], dims: Sequence[int], seeds: Optional[Sequence[int]],
               out: Path, registry: Optional[DatasetRegistry] = None) -> Plan:
    """All datasets, jobs and targets, ordered by dimension, then seed, then experiment and value.

    Args:
        registry: dataset ids; default ``OUT/datasets.json`` (written as ids are allocated).

    Raises:
        ExperimentConfigError: unknown experiment, dimension or invalid settings.
        DatasetRegistryError: unreadable registry or no free id.
    """
    out = Path(out)
    registry = registry if registry is not None else DatasetRegistry(out / REGISTRY_FILENAME)
    sweeps = resolve_experiments(suite, experiments)
    seeds = tuple(suite.seeds if not seeds else seeds)
    bad = [d for d in dims if d not in (2, 3)]
    if bad or not dims:
        raise ExperimentConfigError(f"--dim must be 2 and/or 3, got {list(dims)}")
    plan = Plan(suite, out, registry, sweeps={s.name: s for s in sweeps})
    for dim in sorted(set(dims)):
        for seed in seeds:
            for sweep in sweeps:
                for value in sweep.values_for(dim):
                    _add(plan, sweep, dim, value, seed)
    return plan


def _add(plan: Plan, sweep: Sweep, dim: int, value: float, seed: int) -> None:
    dataset = dataset_for(plan.suite, sweep, dim, value, seed)
    key = dataset.key
    if key not in plan.datasets:
        plan.datasets[key] = dataset
        plan.registry.allocate(key, dim, dataset.describe())
    methods = SUMMARIZER_COMPARISON_METHODS if sweep.summarizer_comparison else BASE_METHODS
    for family in TRAINER_ORDER:
        family_methods = methods_for_trainer(methods, family)
        if not family_methods:
            continue
        npz = dataset.cv_folds > 0 and any(not m.is_rule_based for m in family_methods)
        job = JobSpec(key, family, plan.suite.schedule.trainer(family), dataset.folds, npz, tuple(family_methods))
        previous = plan.jobs.get(job.key)
        if previous is not None:  # same training requested by another experiment: merge the methods
            merged = previous.methods + tuple(m for m in family_methods if m not in previous.methods)
            job = JobSpec(key, family, job.trainer, job.folds, previous.npz or npz, merged)
        plan.jobs[job.key] = job
        for method in family_methods:
            plan.targets.append(Target(sweep.name, dim, float(value), seed, method, job.key))


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
