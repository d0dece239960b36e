"""The two configurations of the experiment suite: ``cpu`` (a few hours on 2 cores) and ``full`` (the paper's sizes).

``cpu``: small volumes (the quick demo's easier task), ``cpu_tiny`` plans, the ``_exp`` schedule and
two values per experiment: the shared default point (trained once) and the extreme the paper's
claim is about. ``full`` mirrors Tables A2/A3 of Hooper et al. (2023) with nnU-Net's own plans and
schedule, for a GPU.

Example:
    >>> get_suite("cpu").sweeps["target_size"].values[3]
    (2.5, 4.0)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Mapping, Optional, Sequence

from segcls3d.errors import SegCls3dError
from segcls3d.experiments.plan.sweeps import EXPERIMENT_LETTERS, Sweep, both, paper_sweeps
from segcls3d.training import schedules


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


#: Trainer suffixes with our variants for all three families; ``""``: nnU-Net's own 1000 x 250 (50 val.).
SCHEDULES: Mapping[str, Schedule] = MappingProxyType({
    suffix: Schedule(suffix, *steps) for suffix, steps in
    (("_smoke", schedules.SMOKE), ("_exp", schedules.EXP), ("_demo", schedules.DEMO), ("", (1000, 250, 50)))})


@dataclass(frozen=True)
class Suite:
    """Everything that differs between the ``cpu`` and ``full`` configurations (the time model: ``describe``).

    ``rule_tau_fraction``: tau of the rule-based g as a fraction of the nominal target's area (2D) or
    volume (3D) (:meth:`rule_tau`); the paper uses tau = 100 pixels with radius-8 targets (201
    pixels), about one half. Rule-based methods are also reported with the library's tau = 10 voxels.
    """

    name: str
    base: Mapping[int, Mapping[str, Any]]  # SynthConfig settings per dimension: every sweep's default point
    n_train: int
    n_val: int  # extra cases: nnU-Net's holdout validation fold, not counted in n_train
    n_test: int  # test images, unbiased as in the paper
    seeds: tuple[int, ...]  # default seeds of dataset generation (nnU-Net's training is not seeded)
    schedule: Schedule  # of every method
    preset: Optional[str]  # plans preset ``plans/<name>.json``; None: nnU-Net's own plans
    cv_folds: int  # folds of the summarizer comparison (out-of-fold predictions to fit trained g)
    summarizer_epochs: int  # of each trained summarizer head
    test_mirroring: bool
    sweeps: Mapping[str, Sweep]  # Figures 5, 6 and 7
    rule_tau_fraction: float = 0.5

    def rule_tau(self, dim: int, target_radius: float) -> float:
        """tau (voxels) of the rule-based g: radius 4 -> 0.5 x 268.1 = 134 voxels in 3D, 0.5 x 50.3 = 25 in 2D."""
        size = math.pi * target_radius ** 2 if dim == 2 else 4.0 / 3.0 * math.pi * target_radius ** 3
        return float(round(self.rule_tau_fraction * size))

    def sweep(self, name: str) -> Sweep:
        """The experiment ``name`` or its letter ``a``..``i`` (``ExperimentConfigError`` if unknown)."""
        key = {letter: n for n, letter in EXPERIMENT_LETTERS.items()}.get(name, name)
        if key not in self.sweeps:
            raise ExperimentConfigError(f"unknown experiment {name!r}; choose from {', '.join(self.sweeps)}, "
                                        "their letters a-i, or all")
        return self.sweeps[key]


def _frozen(base: Mapping[int, dict]) -> Mapping[int, Mapping[str, Any]]:
    return MappingProxyType({d: MappingProxyType(v) for d, v in base.items()})



CPU_SUITE = Suite(
    name="cpu",
    base=_frozen({  # the quick demo's task: a bright target ball among dimmer balls (learnable in a short schedule)
        2: dict(dim=2, shape=(64, 64), target_size=4.0, n_objects=12, distractor_kinds=1, noise=10.0),
        3: dict(dim=3, shape=(32, 32, 32), target_size=4.0, n_objects=12, distractor_kinds=1, noise=10.0)}),
    n_train=80, n_val=4, n_test=40, seeds=(0, 1, 2), schedule=SCHEDULES["_exp"],
    preset="cpu_tiny", cv_folds=2, summarizer_epochs=50, test_mirroring=False,
    sweeps=paper_sweeps({  # default + the extreme of each sweep (the default point is shared: trained once)
        "training_size": both(20, 80),
        "prevalence_low": both(0.05, 0.5),
        "prevalence_high": both(0.5, 0.95),
        "size_bias": both(0.0, 0.95),
        "target_size": both(2.5, 4.0),
        "spurious": both(0.5, 1.0),
        "location_bias": both(0.0, 1.0),
        "summarizers": both(80),
        "semisup": both(0.1, 0.25, 1.0),
    }),
)
FULL_SUITE = Suite(
    name="full",
    base=_frozen({  # Table A2: 224x224, radius 8, 50 objects; 3D: the generator's 48^3 defaults (radius 3)
        2: dict(dim=2, shape=(224, 224), target_size=8.0, n_objects=50),
        3: dict(dim=3, shape=(48, 48, 48), target_size=3.0, n_objects=100)}),
    n_train=100_000, n_val=20_000, n_test=100_000, seeds=(0, 1, 2), schedule=SCHEDULES[""],
    preset=None, cv_folds=5, summarizer_epochs=100, test_mirroring=True,
    sweeps=paper_sweeps({
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
)
SUITES: Mapping[str, Suite] = MappingProxyType({"cpu": CPU_SUITE, "full": FULL_SUITE})


def get_suite(name: str) -> Suite:
    """The configuration ``cpu`` or ``full`` (``ExperimentConfigError`` if unknown)."""
    if name not in SUITES:
        raise ExperimentConfigError(f"unknown configuration {name!r}; choose from {', '.join(SUITES)}")
    return SUITES[name]


def with_overrides(suite: Suite, schedule: Optional[str] = None, experiment: Optional[str] = None,
                   values: Optional[Sequence[float]] = None) -> Suite:
    """A copy of ``suite`` with another schedule (a key of :data:`SCHEDULES`) and/or other values for one experiment.

    Records at the same paths made with other settings are redone: use another --out to keep both.

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
