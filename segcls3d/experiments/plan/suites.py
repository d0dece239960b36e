"""The paper's experiments as data, and the suite's two configurations: ``cpu`` (hours on 2 cores) and ``full``.

Hooper et al. (2023), Section 4.1 / Figure 5 and Table A3, Section 4.2.1 / Figure 6, Figure 7: each experiment
(:data:`EXPERIMENTS`) changes one variable of the TRAINING distribution (the test split stays unbiased).
``cpu``: small volumes (the quick demo's easier task), ``cpu_tiny`` plans, the ``_exp`` schedule, two values per
experiment: the shared default point (trained once) and the extreme the paper's claim is about. ``full``
mirrors Tables A2/A3 with nnU-Net's own plans and schedule, for a GPU.

Example:
    >>> get_suite("cpu").sweeps["target_size"].values[3], get_suite("cpu").sweep("b").letter
    ((2.5, 4.0), 'b')
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Mapping, Optional, Sequence

from segcls3d.errors import SegCls3dError
from segcls3d.training import schedules


class ExperimentConfigError(SegCls3dError):
    """Unknown experiment or configuration name, or an invalid experiment setting."""


#: Swept variable -> its axis label in the report.
X_LABELS: Mapping[str, str] = MappingProxyType({
    "n_train": "training images", "prevalence": "training prevalence p_pos",
    "size_bias": "size bias (fraction of medium/large targets in training)",
    "target_size": "target radius (voxels)", "spurious": "spurious correlation strength p_spur (training)",
    "location_bias": "location bias (training targets pulled to the centre)",
    "label_fraction": "fraction of training images with labels (masks; class labels for Cls)"})
#: The experiments in the paper's order (letters a-i in the CLI and the report): name, figure panel,
#: title, swept variable, options of :class:`Sweep`.
EXPERIMENTS: tuple[tuple[str, str, str, str, dict], ...] = (
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
EXPERIMENT_LETTERS: Mapping[str, str] = MappingProxyType({e[0]: "abcdefghi"[i] for i, e in enumerate(EXPERIMENTS)})


@dataclass(frozen=True)
class Sweep:
    """One experiment: the variable swept, its values per dimension, fixed changes, what is reported (or ValueError)."""

    name: str  # ``training_size``, ... (see :data:`EXPERIMENTS`)
    figure: str  # the paper's panel: ``"5a"``, ``"6"``
    title: str
    variable: str  # the swept quantity, a key of :data:`X_LABELS`
    values: Mapping[int, tuple[float, ...]]  # per dimension (2, 3)
    # this experiment only: SynthConfig fields, ``n_train``, ``spurious_size_factor`` (x target radius)
    fixed: Mapping[str, Any] = field(default_factory=dict)
    log_x: bool = False  # plot the variable on a log axis
    small_target_slice: bool = False  # also report recall on the small-target test slice (rare subtype)
    summarizer_comparison: bool = False  # every summarizing function on cross-validated SegCls models

    def __post_init__(self) -> None:
        if self.variable not in X_LABELS:
            raise ValueError(f"experiment {self.name}: unknown variable {self.variable!r}; one of {tuple(X_LABELS)}")
        for dim in (2, 3):
            if not self.values.get(dim):
                raise ValueError(f"experiment {self.name}: no values for {dim}D")

    @property
    def letter(self) -> str:
        return EXPERIMENT_LETTERS.get(self.name, "?")


def paper_sweeps(values: Mapping[str, Mapping[int, tuple[float, ...]]],
                 fixed: Optional[Mapping[str, Mapping[str, Any]]] = None) -> Mapping[str, Sweep]:
    """Every experiment of :data:`EXPERIMENTS` with the given values (and fixed settings) by name."""
    return MappingProxyType({name: Sweep(name, fig, title, var, MappingProxyType(dict(values[name])),
                                         MappingProxyType(dict((fixed or {}).get(name, {}))), **extra)
                             for name, fig, title, var, extra in EXPERIMENTS})


def both(*values: float) -> dict[int, tuple[float, ...]]:
    """The same values in 2D and 3D."""
    return {2: tuple(values), 3: tuple(values)}


def value_label(value: float) -> str:
    """Folder name of a swept value: ``80``, ``0.05``, ``2.5`` (``%g``)."""
    return f"{float(value):g}"


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
    """Everything that differs between the ``cpu`` and ``full`` configurations (the time model: ``describe``)."""

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
    # tau of the rule-based g as a fraction of the nominal target's area (2D) or volume (3D): the paper's tau = 100
    # pixels with radius-8 targets (201 pixels) is about one half (also reported: the library's tau = 10 voxels)
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
