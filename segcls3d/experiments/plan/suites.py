"""The two configurations of the experiment suite: ``cpu`` (a few hours on 2 cores) and ``full`` (the paper's sizes).

``cpu`` uses small volumes (32^3 / 64x64, the quick demo's easier task), 80 training images, 40
test images, the ``cpu_tiny`` plans and the ``_exp`` schedule (20 epochs x 40 iterations), and two
values per experiment: the shared default point (trained once, reused by every experiment) and
the extreme the paper's claim is about. ``segcls3d experiment all --dry-run`` estimates about 6 h
for 2D + 3D on a 2-core CPU (see benchmarks/experiments/README.md).
``full`` mirrors Table A2/A3 of Hooper et al. (2023): 100,000 training images, 224x224 in 2D, the
full sweeps, nnU-Net's own plans and schedule (1000 epochs x 250 iterations) and 5-fold
cross-validation for the summarizer comparison; it is meant for a GPU.

Example:
    >>> get_suite("cpu").sweeps["target_size"].values_for(3)
    (2.5, 4.0)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Mapping, Optional, Sequence

from segcls3d.errors import SegCls3dError
from segcls3d.experiments.plan.cost import CostModel
from segcls3d.experiments.plan.sweeps import EXPERIMENT_LETTERS, Sweep, both
from segcls3d.training import schedules

STOCK = (1000, 250, 50)  # nnU-Net's own nnUNetTrainer: epochs, iterations, validation iterations


class ExperimentConfigError(SegCls3dError):
    """Unknown experiment or configuration name, or an invalid experiment setting."""


@dataclass(frozen=True)
class Schedule:
    """Trainer suffix and its epochs x iterations (all methods of a suite use the same one)."""

    suffix: str
    epochs: int
    iterations: int
    val_iterations: int

    def trainer(self, family: str) -> str:
        """``nnUNetTrainer<family><suffix>``, e.g. ``nnUNetTrainerSegCls_exp``."""
        return f"nnUNetTrainer{family}{self.suffix}"


@dataclass(frozen=True)
class Suite:
    """Everything that differs between the ``cpu`` and ``full`` configurations.

    Args:
        name: ``cpu`` or ``full``.
        base: SynthConfig settings per dimension (the default point of every sweep).
        n_train: default number of training images.
        n_val: validation cases added for nnU-Net's holdout split (fold 0), not counted in n_train.
        n_test: test images (unbiased, as in the paper).
        seeds: default seeds (dataset generation; nnU-Net's training itself is not seeded).
        schedule: the training schedule of every method.
        preset: plans preset (``plans/<name>.json``) or None for nnU-Net's own plans.
        cv_folds: folds of the summarizer comparison (out-of-fold predictions for trained g).
        summarizer_epochs: epochs of each trained summarizer head.
        test_mirroring: test-time mirroring in prediction.
        sweeps: the experiments of Figures 5, 6 and 7 (the label fractions of the semi-supervised
            comparison on the default dataset, see :mod:`segcls3d.experiments.run.label_fraction`).
        rule_tau_fraction: tau of the rule-based g as a fraction of the nominal target's area (2D) or
            volume (3D) at the dataset's target radius (:meth:`rule_tau`). The paper uses tau = 100
            pixels with radius-8 targets (201 pixels): about one half. Every rule-based method is
            also reported with the library default tau = 10 voxels (``segcls_g_tau10``).
        cost: the time model used by ``--dry-run``.
    """

    name: str
    base: Mapping[int, Mapping[str, Any]]
    n_train: int
    n_val: int
    n_test: int
    seeds: tuple[int, ...]
    schedule: Schedule
    preset: Optional[str]
    cv_folds: int
    summarizer_epochs: int
    test_mirroring: bool
    sweeps: Mapping[str, Sweep]
    rule_tau_fraction: float = 0.5
    cost: CostModel = field(default_factory=CostModel)

    def rule_tau(self, dim: int, target_radius: float) -> float:
        """tau (voxels) of the rule-based g for a dataset: ``rule_tau_fraction`` x the target's size.

        Example: radius 4 -> 0.5 x 268.1 = 134 voxels in 3D, 0.5 x 50.3 = 25 pixels in 2D.
        """
        size = math.pi * target_radius ** 2 if dim == 2 else 4.0 / 3.0 * math.pi * target_radius ** 3
        return float(round(self.rule_tau_fraction * size))

    def sweep(self, name: str) -> Sweep:
        """The experiment ``name`` (or its letter ``a``..``i``).

        Raises:
            ExperimentConfigError: unknown name.
        """
        key = {letter: n for n, letter in EXPERIMENT_LETTERS.items()}.get(name, name)
        if key not in self.sweeps:
            raise ExperimentConfigError(f"unknown experiment {name!r}; choose from {', '.join(self.sweeps)}, "
                                        "their letters a-i, or all")
        return self.sweeps[key]


def _sweeps(values: Mapping[str, Mapping[int, tuple[float, ...]]], fixed: Mapping[str, Mapping[str, Any]]):
    """The experiments of Table A3, Figures 6 and 7 with the given values; order = the paper's panels."""
    specs = (
        ("training_size", "5a", "Number of training images", "n_train", dict(log_x=True)),
        ("prevalence_low", "5b", "Low class prevalence in training", "prevalence", {}),
        ("prevalence_high", "5c", "High class prevalence in training", "prevalence", {}),
        ("size_bias", "5d", "Rare subtype: small targets made rare in training (test: small targets only)",
         "size_bias", dict(small_target_slice=True)),
        ("target_size", "5e", "Target (and distractor) size", "target_size", {}),
        ("spurious", "5f", "Spurious correlate in training only", "spurious", {}),
        ("location_bias", "5g", "Target location restricted in training only", "location_bias", {}),
        ("summarizers", "6", "Summarizing functions vs classification and multitask", "n_train",
         dict(log_x=True, summarizer_comparison=True)),
        ("semisup", "7", "Label fraction: classification vs seg-for-class, semi-supervised and boosted "
         "semi-supervised (Fig. 7, Table A8)", "label_fraction", dict(log_x=True)),  # f = 1: the abundant setting
    )
    return MappingProxyType({
        name: Sweep(name, fig, title, var, MappingProxyType(dict(values[name])),
                    MappingProxyType(dict(fixed.get(name, {}))), **extra)
        for name, fig, title, var, extra in specs
    })


#: Trainer suffixes with our variants for all three families: (epochs, iterations, validation iterations).
SCHEDULES: Mapping[str, Schedule] = MappingProxyType({
    suffix: Schedule(suffix, *steps) for suffix, steps in
    (("_smoke", schedules.SMOKE), ("_exp", schedules.EXP), ("_demo", schedules.DEMO), ("", STOCK))})

_CPU_BASE = {  # the quick demo's task: a bright target ball among dimmer balls (learnable in a short schedule)
    2: dict(dim=2, shape=(64, 64), target_size=4.0, n_objects=12, distractor_kinds=1, noise=10.0),
    3: dict(dim=3, shape=(32, 32, 32), target_size=4.0, n_objects=12, distractor_kinds=1, noise=10.0),
}
CPU_SUITE = Suite(
    name="cpu",
    base=MappingProxyType({d: MappingProxyType(v) for d, v in _CPU_BASE.items()}),
    n_train=80, n_val=4, n_test=40, seeds=(0, 1, 2),
    schedule=SCHEDULES["_exp"],
    preset="cpu_tiny", cv_folds=2, summarizer_epochs=50, test_mirroring=False,
    sweeps=_sweeps({  # default + the extreme of each sweep (the default point is shared: trained once)
        "training_size": both(20, 80),
        "prevalence_low": both(0.05, 0.5),
        "prevalence_high": both(0.5, 0.95),
        "size_bias": both(0.0, 0.95),
        "target_size": both(2.5, 4.0),
        "spurious": both(0.5, 1.0),
        "location_bias": both(0.0, 1.0),
        "summarizers": both(80),
        "semisup": both(0.1, 0.25, 1.0),
    }, {}),
)

_FULL_BASE = {  # Table A2: 224x224, radius 8, 50 objects; 3D: the generator's 48^3 defaults (radius 3)
    2: dict(dim=2, shape=(224, 224), target_size=8.0, n_objects=50),
    3: dict(dim=3, shape=(48, 48, 48), target_size=3.0, n_objects=100),
}
FULL_SUITE = Suite(
    name="full",
    base=MappingProxyType({d: MappingProxyType(v) for d, v in _FULL_BASE.items()}),
    n_train=100_000, n_val=20_000, n_test=100_000, seeds=(0, 1, 2),
    schedule=SCHEDULES[""],
    preset=None, cv_folds=5, summarizer_epochs=100, test_mirroring=True,
    sweeps=_sweeps({
        "training_size": both(1_000, 3_000, 10_000, 30_000, 100_000),
        "prevalence_low": both(0.01, 0.02, 0.05, 0.1, 0.2, 0.5),
        "prevalence_high": both(0.5, 0.8, 0.9, 0.95, 0.98, 0.99),
        "size_bias": both(0.0, 0.5, 0.75, 0.9, 0.95, 0.99),
        "target_size": {2: (8.0, 16.0, 24.0, 32.0, 40.0), 3: (2.0, 3.0, 4.0, 5.0, 6.0)},
        "spurious": both(0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
        "location_bias": both(0.0, 0.25, 0.5, 0.75, 1.0),
        "summarizers": both(1_000, 10_000),
        "semisup": both(0.05, 0.1, 0.25, 0.5, 1.0),
    }, {
        "target_size": {"n_train": 10_000},  # Table A3
        "spurious": {"spurious_size_factor": 3.5},  # Table A3: spurious object radius 28 = 3.5 x 8
    }),
    cost=CostModel(
        seconds_per_iteration=MappingProxyType({2: 0.1, 3: 0.15}), train_startup_s=60.0, epoch_overhead_s=5.0,
        final_validation_startup_s=30.0, final_validation_s_per_case=MappingProxyType({2: 0.05, 3: 0.1}),
        predict_startup_s=10.0,
        predict_s_per_case=MappingProxyType({2: 0.02, 3: 0.05}), prepare_startup_s=60.0,
        prepare_s_per_case=MappingProxyType({2: 0.02, 3: 0.05}),
        summarizer_fit_s=MappingProxyType({2: 600.0, 3: 900.0}),
        note="assumed single modern GPU with nnU-Net's default plans (not measured)",
    ),
)
SUITES: Mapping[str, Suite] = MappingProxyType({"cpu": CPU_SUITE, "full": FULL_SUITE})


def get_suite(name: str) -> Suite:
    """The configuration ``cpu`` or ``full``.

    Raises:
        ExperimentConfigError: unknown name.
    """
    if name not in SUITES:
        raise ExperimentConfigError(f"unknown configuration {name!r}; choose from {', '.join(SUITES)}")
    return SUITES[name]


def with_overrides(suite: Suite, schedule: Optional[str] = None, experiment: Optional[str] = None,
                   values: Optional[Sequence[float]] = None) -> Suite:
    """A copy of ``suite`` with another schedule and/or other values for one experiment (both dimensions).

    ``schedule`` is a trainer suffix of :data:`SCHEDULES` (``_smoke``, ``_exp``, ``_demo``, ``""`` = stock).
    Records made with other settings at the same paths (same experiment, value and seed) are redone:
    use another --out to keep both.

    Raises:
        ExperimentConfigError: unknown schedule or experiment, or values without an experiment.
    """
    if schedule is not None:
        if schedule not in SCHEDULES:
            raise ExperimentConfigError(f"unknown schedule {schedule!r}; choose from "
                                        f"{', '.join(repr(k) for k in SCHEDULES)}")
        suite = replace(suite, schedule=SCHEDULES[schedule])
    if values is not None:
        if experiment is None:
            raise ExperimentConfigError("--values needs exactly one experiment NAME")
        sweep = suite.sweep(experiment)
        sweeps = {**suite.sweeps, sweep.name: replace(sweep, values=MappingProxyType(both(*values)))}
        suite = replace(suite, sweeps=MappingProxyType(sweeps))
    return suite
