"""Short-schedule variants of SegCls, Cls and Multitask (nnU-Net's ``_Nepochs`` naming)."""
from __future__ import annotations

from segcls3d.training.schedule import DEMO, FIVE_EPOCHS, ONE_EPOCH, SMOKE, ScheduleMixin
from segcls3d.training.trainers import nnUNetTrainerCls, nnUNetTrainerMultitask, nnUNetTrainerSegCls


class nnUNetTrainerSegCls_1epoch(ScheduleMixin, nnUNetTrainerSegCls):
    schedule = ONE_EPOCH


class nnUNetTrainerSegCls_5epochs(ScheduleMixin, nnUNetTrainerSegCls):
    schedule = FIVE_EPOCHS


class nnUNetTrainerCls_1epoch(ScheduleMixin, nnUNetTrainerCls):
    schedule = ONE_EPOCH


class nnUNetTrainerCls_5epochs(ScheduleMixin, nnUNetTrainerCls):
    schedule = FIVE_EPOCHS


class nnUNetTrainerMultitask_1epoch(ScheduleMixin, nnUNetTrainerMultitask):
    schedule = ONE_EPOCH


class nnUNetTrainerMultitask_5epochs(ScheduleMixin, nnUNetTrainerMultitask):
    schedule = FIVE_EPOCHS


class nnUNetTrainerSegCls_smoke(ScheduleMixin, nnUNetTrainerSegCls):
    """2 epochs x 10 iterations: exercises the whole pipeline (tests), learns next to nothing."""

    schedule = SMOKE


class nnUNetTrainerCls_smoke(ScheduleMixin, nnUNetTrainerCls):
    """2 epochs x 10 iterations: exercises the whole pipeline (tests), learns next to nothing."""

    schedule = SMOKE


class nnUNetTrainerMultitask_smoke(ScheduleMixin, nnUNetTrainerMultitask):
    """2 epochs x 10 iterations: exercises the whole pipeline (tests), learns next to nothing."""

    schedule = SMOKE


class nnUNetTrainerSegCls_demo(ScheduleMixin, nnUNetTrainerSegCls):
    """30 epochs x 50 iterations: the CPU demo schedule (tiny plans, ~3 min on 2 cores)."""

    schedule = DEMO


class nnUNetTrainerCls_demo(ScheduleMixin, nnUNetTrainerCls):
    """30 epochs x 50 iterations: the CPU demo schedule (tiny plans, ~3 min on 2 cores)."""

    schedule = DEMO


class nnUNetTrainerMultitask_demo(ScheduleMixin, nnUNetTrainerMultitask):
    """30 epochs x 50 iterations: the CPU demo schedule (tiny plans, ~3 min on 2 cores)."""

    schedule = DEMO
