"""Schedules users run: ``_5epochs`` (quick check), ``_demo`` (the CPU demo), ``_exp`` (the experiment suite).

Test-only schedules (``_smoke``) live with the tests (``tests/trainers``).
"""
from __future__ import annotations

from segcls3d.training.cls import nnUNetTrainerCls
from segcls3d.training.multitask import nnUNetTrainerMultitask
from segcls3d.training.schedule import ScheduleMixin
from segcls3d.training.schedules import DEMO, EXP, FIVE_EPOCHS
from segcls3d.training.segcls import nnUNetTrainerSegCls


class nnUNetTrainerSegCls_5epochs(ScheduleMixin, nnUNetTrainerSegCls):
    schedule = FIVE_EPOCHS


class nnUNetTrainerCls_5epochs(ScheduleMixin, nnUNetTrainerCls):
    schedule = FIVE_EPOCHS


class nnUNetTrainerMultitask_5epochs(ScheduleMixin, nnUNetTrainerMultitask):
    schedule = FIVE_EPOCHS


class nnUNetTrainerSegCls_demo(ScheduleMixin, nnUNetTrainerSegCls):
    """30 epochs x 50 iterations: the CPU demo schedule (tiny plans, ~3 min on 2 cores)."""

    schedule = DEMO


class nnUNetTrainerCls_demo(ScheduleMixin, nnUNetTrainerCls):
    """30 epochs x 50 iterations: the CPU demo schedule (tiny plans, ~3 min on 2 cores)."""

    schedule = DEMO


class nnUNetTrainerMultitask_demo(ScheduleMixin, nnUNetTrainerMultitask):
    """30 epochs x 50 iterations: the CPU demo schedule (tiny plans, ~3 min on 2 cores)."""

    schedule = DEMO


class nnUNetTrainerSegCls_exp(ScheduleMixin, nnUNetTrainerSegCls):
    """20 epochs x 40 iterations: the experiment suite's CPU schedule; final validation only with --npz."""

    schedule = EXP
    final_validation_needs_npz = True


class nnUNetTrainerCls_exp(ScheduleMixin, nnUNetTrainerCls):
    """20 epochs x 40 iterations: the experiment suite's CPU schedule; final validation only with --npz."""

    schedule = EXP
    final_validation_needs_npz = True


class nnUNetTrainerMultitask_exp(ScheduleMixin, nnUNetTrainerMultitask):
    """20 epochs x 40 iterations: the experiment suite's CPU schedule; final validation only with --npz."""

    schedule = EXP
    final_validation_needs_npz = True
