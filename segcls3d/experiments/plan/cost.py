"""Cost model of the nnU-Net steps (seconds per iteration, per case, per start), for ``--dry-run`` estimates.

The constants of the CPU suite come from measurements on the 2-core development machine
(``cpu_tiny`` plans): 0.12 s per 3D SegCls training iteration (32^3 patch, batch 4), 0.065 s per 2D
one (64x64), the fixed costs from a smoke run of the suite (see ``note``). The estimate counts only work that is
not finished yet.

Example:
    >>> round(CostModel().training_s(3, epochs=10, iterations=40, val_iterations=2))  # 12 + 10 x (4.8 + 0.1 + 0.7)
    68
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping


def _per_dim(two: float, three: float) -> Mapping[int, float]:
    return MappingProxyType({2: two, 3: three})


@dataclass(frozen=True)
class CostModel:
    """Seconds per step; ``per_dim`` fields are keyed by 2 and 3.

    Args:
        seconds_per_iteration: one SegCls/Multitask training iteration (forward, backward, augmentation).
        family_factor: cost of an iteration of each trainer family relative to SegCls.
        val_iteration_fraction: a validation iteration relative to a training one (no backward).
        train_startup_s: ``nnUNetv2_train`` process start and initialization, final checkpoint.
        epoch_overhead_s: per epoch: logging, progress plot, checkpoint_best.
        final_validation_startup_s: nnU-Net's final validation start (``--npz`` runs only).
        final_validation_s_per_case: nnU-Net's final validation per held-out case (export included).
        predict_startup_s: loading a model for prediction.
        predict_s_per_case: sliding-window prediction + summarizer + writing, one case, one fold.
        prepare_startup_s: fingerprint, planning and preprocessing start-up of one dataset.
        prepare_s_per_case: generating + preprocessing one case.
        summarizer_fit_s: fitting one trained summarizer (learning-rate search included).
        note: where the numbers come from.
    """

    seconds_per_iteration: Mapping[int, float] = field(default_factory=lambda: _per_dim(0.07, 0.12))
    family_factor: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType({"SegCls": 1.0, "Multitask": 1.0, "Cls": 0.5}))
    val_iteration_fraction: float = 0.4
    train_startup_s: float = 12.0
    epoch_overhead_s: float = 0.7
    final_validation_startup_s: float = 5.0
    final_validation_s_per_case: Mapping[int, float] = field(default_factory=lambda: _per_dim(2.5, 3.0))
    predict_startup_s: float = 2.0
    predict_s_per_case: Mapping[int, float] = field(default_factory=lambda: _per_dim(0.08, 0.15))
    prepare_startup_s: float = 10.0
    prepare_s_per_case: Mapping[int, float] = field(default_factory=lambda: _per_dim(0.12, 0.25))
    summarizer_fit_s: Mapping[int, float] = field(default_factory=lambda: _per_dim(30.0, 60.0))
    note: str = ("2-core CPU, cpu_tiny plans; 3D: 0.11-0.12 s/it (SegCls, 32^3, batch 4) and Cls 0.5x, 2D: "
                 "0.065 s/it (64x64, batch 4), epoch times of the suite on an otherwise idle machine")

    def training_s(self, dim: int, epochs: int, iterations: int, val_iterations: int, family: str = "SegCls") -> float:
        """One ``nnUNetv2_train`` run without final validation."""
        it = self.seconds_per_iteration[dim] * self.family_factor.get(family, 1.0)
        per_epoch = iterations * it + val_iterations * it * self.val_iteration_fraction + self.epoch_overhead_s
        return self.train_startup_s + epochs * per_epoch

    def final_validation_s(self, dim: int, n_cases: int) -> float:
        """nnU-Net's final validation of one fold with ``n_cases`` held-out cases (``--npz``)."""
        return self.final_validation_startup_s + n_cases * self.final_validation_s_per_case[dim]

    def prediction_s(self, dim: int, n_cases: int, n_folds: int) -> float:
        """Predicting ``n_cases`` test cases with an ensemble of ``n_folds`` models."""
        return self.predict_startup_s + n_cases * n_folds * self.predict_s_per_case[dim]

    def preparation_s(self, dim: int, n_cases: int) -> float:
        """Generating, planning and preprocessing a dataset of ``n_cases`` cases."""
        return self.prepare_startup_s + n_cases * self.prepare_s_per_case[dim]


def format_duration(seconds: float) -> str:
    """``3 h 05 min``, ``12 min``, ``40 s``."""
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = int(round(seconds / 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
