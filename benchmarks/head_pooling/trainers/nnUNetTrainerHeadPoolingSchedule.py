"""The head-pooling benchmark's average-only arms on the experiment suite's schedule (``_exp``: 20 x 40
iterations at 3e-2). Benchmark-only: ``benchmarks/head_pooling/run_head_pooling.py`` adds this folder to
``nnUNet_extTrainer``; the average + maximum arms are the library's ``nnUNetTrainerCls_exp`` and
``nnUNetTrainerMultitask_exp``.
"""
from segcls3d.training.avg_pool import nnUNetTrainerClsAvgPool, nnUNetTrainerMultitaskAvgPool
from segcls3d.training.schedule import ScheduleMixin
from segcls3d.training.schedules import EXP, SHORT_SCHEDULE_LR


class nnUNetTrainerClsAvgPool_exp(ScheduleMixin, nnUNetTrainerClsAvgPool):
    """The classification baseline with the average-only head, on the suite's schedule."""

    schedule = EXP
    learning_rate = SHORT_SCHEDULE_LR
    final_validation_needs_npz = True


class nnUNetTrainerMultitaskAvgPool_exp(ScheduleMixin, nnUNetTrainerMultitaskAvgPool):
    """Multitask with the average-only head, on the suite's schedule."""

    schedule = EXP
    learning_rate = SHORT_SCHEDULE_LR
    final_validation_needs_npz = True
