"""Schedules of nnUNetTrainerMultiMix that users run: ``_5epochs``, ``_demo``, ``_exp`` (see training/variants.py)."""
from __future__ import annotations

from segcls3d.training.multimix.trainer import nnUNetTrainerMultiMix
from segcls3d.training.schedule import ScheduleMixin
from segcls3d.training.schedules import DEMO, EXP, FIVE_EPOCHS, SHORT_SCHEDULE_LR


class nnUNetTrainerMultiMix_5epochs(ScheduleMixin, nnUNetTrainerMultiMix):
    schedule = FIVE_EPOCHS


class nnUNetTrainerMultiMix_demo(ScheduleMixin, nnUNetTrainerMultiMix):
    """30 epochs x 50 iterations at initial learning rate 3e-2: the CPU demo schedule."""

    schedule = DEMO
    learning_rate = SHORT_SCHEDULE_LR


class nnUNetTrainerMultiMix_exp(ScheduleMixin, nnUNetTrainerMultiMix):
    """20 x 40 iterations at initial learning rate 3e-2: the experiment suite's CPU schedule (final validation
    only with --npz)."""

    schedule = EXP
    learning_rate = SHORT_SCHEDULE_LR
    final_validation_needs_npz = True
