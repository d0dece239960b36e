"""Schedules users run: ``_5epochs`` (quick check), ``_demo`` (the CPU demo), ``_exp`` (the experiment suite).

Test-only schedules (``_smoke``) live with the tests (``tests/trainers``).
"""
from __future__ import annotations

from segcls3d.training.cls import nnUNetTrainerCls
from segcls3d.training.multitask import nnUNetTrainerMultitask
from segcls3d.training.schedule import ScheduleMixin
from segcls3d.training.schedules import DEMO, EXP, FIVE_EPOCHS, SHORT_SCHEDULE_LR
from segcls3d.training.segcls import nnUNetTrainerSegCls


class nnUNetTrainerSegCls_5epochs(ScheduleMixin, nnUNetTrainerSegCls):
    schedule = FIVE_EPOCHS


class nnUNetTrainerCls_5epochs(ScheduleMixin, nnUNetTrainerCls):
    schedule = FIVE_EPOCHS


class nnUNetTrainerMultitask_5epochs(ScheduleMixin, nnUNetTrainerMultitask):
    schedule = FIVE_EPOCHS


class nnUNetTrainerSegCls_demo(ScheduleMixin, nnUNetTrainerSegCls):
    """30 epochs x 50 iterations at initial learning rate 3e-2: the CPU demo schedule (tiny plans, ~3 min)."""

    schedule = DEMO
    learning_rate = SHORT_SCHEDULE_LR


class nnUNetTrainerCls_demo(ScheduleMixin, nnUNetTrainerCls):
    """30 epochs x 50 iterations at initial learning rate 3e-2: the CPU demo schedule (tiny plans, ~3 min)."""

    schedule = DEMO
    learning_rate = SHORT_SCHEDULE_LR


class nnUNetTrainerMultitask_demo(ScheduleMixin, nnUNetTrainerMultitask):
    """30 epochs x 50 iterations at initial learning rate 3e-2: the CPU demo schedule (tiny plans, ~3 min)."""

    schedule = DEMO
    learning_rate = SHORT_SCHEDULE_LR


class nnUNetTrainerSegCls_exp(ScheduleMixin, nnUNetTrainerSegCls):
    """20 x 40 iterations at initial learning rate 3e-2: the experiment suite's CPU schedule (final validation
    only with --npz)."""

    schedule = EXP
    learning_rate = SHORT_SCHEDULE_LR
    final_validation_needs_npz = True


class nnUNetTrainerCls_exp(ScheduleMixin, nnUNetTrainerCls):
    """20 x 40 iterations at initial learning rate 3e-2: the experiment suite's CPU schedule (final validation
    only with --npz)."""

    schedule = EXP
    learning_rate = SHORT_SCHEDULE_LR
    final_validation_needs_npz = True


class nnUNetTrainerMultitask_exp(ScheduleMixin, nnUNetTrainerMultitask):
    """20 x 40 iterations at initial learning rate 3e-2: the experiment suite's CPU schedule (final validation
    only with --npz)."""

    schedule = EXP
    learning_rate = SHORT_SCHEDULE_LR
    final_validation_needs_npz = True
