"""p and schedules of nnUNetTrainerCheXseg as named variants (``-tr nnUNetTrainerCheXseg_p05_exp``).

``_p05``: p = 0.5; ``_p00``: weak masks only (CheXseg's weakly supervised arm); ``_p10``: expert masks
only (SegCls on the expert cases). Schedules as elsewhere: ``_5epochs``, ``_demo``, ``_exp``.
"""
from __future__ import annotations

from segcls3d.training.chexseg.trainer import nnUNetTrainerCheXseg
from segcls3d.training.schedule import ScheduleMixin
from segcls3d.training.schedules import DEMO, EXP, FIVE_EPOCHS, SHORT_SCHEDULE_LR


class nnUNetTrainerCheXseg_p05(nnUNetTrainerCheXseg):
    expert_probability = 0.5


class nnUNetTrainerCheXseg_p00(nnUNetTrainerCheXseg):
    expert_probability = 0.0


class nnUNetTrainerCheXseg_p10(nnUNetTrainerCheXseg):
    expert_probability = 1.0


class nnUNetTrainerCheXseg_5epochs(ScheduleMixin, nnUNetTrainerCheXseg):
    schedule = FIVE_EPOCHS


class nnUNetTrainerCheXseg_demo(ScheduleMixin, nnUNetTrainerCheXseg):
    """30 epochs x 50 iterations at initial learning rate 3e-2: the CPU demo schedule."""

    schedule = DEMO
    learning_rate = SHORT_SCHEDULE_LR


class nnUNetTrainerCheXseg_exp(ScheduleMixin, nnUNetTrainerCheXseg):
    """The experiment suite's CPU schedule (20 x 40 iterations, 3e-2; final validation only with --npz)."""

    schedule = EXP
    learning_rate = SHORT_SCHEDULE_LR
    final_validation_needs_npz = True


class nnUNetTrainerCheXseg_p05_exp(nnUNetTrainerCheXseg_exp):
    expert_probability = 0.5


class nnUNetTrainerCheXseg_p00_exp(nnUNetTrainerCheXseg_exp):
    expert_probability = 0.0


class nnUNetTrainerCheXseg_p10_exp(nnUNetTrainerCheXseg_exp):
    expert_probability = 1.0
