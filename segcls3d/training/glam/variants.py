"""Schedules of nnUNetTrainerGLAM users run (``_5epochs``, ``_demo``, ``_exp``; see training/variants.py)."""
from __future__ import annotations

from segcls3d.training.glam.trainer import nnUNetTrainerGLAM
from segcls3d.training.schedule import ScheduleMixin
from segcls3d.training.schedules import DEMO, EXP, FIVE_EPOCHS, SHORT_SCHEDULE_LR


class nnUNetTrainerGLAM_5epochs(ScheduleMixin, nnUNetTrainerGLAM):
    schedule = FIVE_EPOCHS


class nnUNetTrainerGLAM_demo(ScheduleMixin, nnUNetTrainerGLAM):
    """30 epochs x 50 iterations at initial learning rate 3e-2 (stages: 15 global, 9 local, 6 joint)."""

    schedule = DEMO
    learning_rate = SHORT_SCHEDULE_LR


class nnUNetTrainerGLAM_exp(ScheduleMixin, nnUNetTrainerGLAM):
    """20 x 40 iterations at initial learning rate 3e-2 (stages: 10 global, 6 local, 4 joint; final validation
    only with --npz)."""

    schedule = EXP
    learning_rate = SHORT_SCHEDULE_LR
    final_validation_needs_npz = True
