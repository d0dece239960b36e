"""Schedules of the CheXseg benchmark that the library does not name: distillation at the suite's ``_exp``
schedule, and ``_chexsegquick`` (2 x 10 iterations) of every arm for a smoke run of the driver.

Benchmark-only, like the tests' ``_smoke``: ``benchmarks/chexseg/run_chexseg.py`` adds this folder to
``nnUNet_extTrainer``.
"""
from segcls3d.training.chexseg.trainer import nnUNetTrainerCheXseg
from segcls3d.training.cls import nnUNetTrainerCls
from segcls3d.training.schedule import ScheduleMixin
from segcls3d.training.schedules import EXP, SHORT_SCHEDULE_LR, SMOKE
from segcls3d.training.semisup.soft_targets import nnUNetTrainerSoftTargets


class nnUNetTrainerSoftTargets_chexsegexp(ScheduleMixin, nnUNetTrainerSoftTargets):
    """Distillation (``pseudolabel soft``) at the suite's CPU schedule, as the CheXseg arms."""

    schedule = EXP
    learning_rate = SHORT_SCHEDULE_LR
    final_validation_needs_npz = True


class nnUNetTrainerSoftTargets_chexsegquick(ScheduleMixin, nnUNetTrainerSoftTargets):
    schedule = SMOKE
    final_validation_needs_npz = True


class nnUNetTrainerCls_chexsegquick(ScheduleMixin, nnUNetTrainerCls):
    schedule = SMOKE
    final_validation_needs_npz = True


class nnUNetTrainerCheXseg_chexsegquick(ScheduleMixin, nnUNetTrainerCheXseg):
    schedule = SMOKE
    final_validation_needs_npz = True


class nnUNetTrainerCheXseg_p05_chexsegquick(nnUNetTrainerCheXseg_chexsegquick):
    expert_probability = 0.5


class nnUNetTrainerCheXseg_p00_chexsegquick(nnUNetTrainerCheXseg_chexsegquick):
    expert_probability = 0.0


class nnUNetTrainerCheXseg_p10_chexsegquick(nnUNetTrainerCheXseg_chexsegquick):
    expert_probability = 1.0


class nnUNetTrainerCls_chexseglong(ScheduleMixin, nnUNetTrainerCls):
    """The classifier of ``--classifier long``: 200 x 40 iterations (10x the suite's ``_exp``), same learning rate."""

    schedule = (200, 40, 2)
    learning_rate = SHORT_SCHEDULE_LR
    final_validation_needs_npz = True
