"""The convergence benchmark's schedule (``_conv``): the experiment suite's 20 x 40 iterations, 5 validation batches.

Benchmark-only, like the tests' ``_smoke``: ``benchmarks/convergence/run_convergence.py`` adds this
folder to ``nnUNet_extTrainer``. Both arms validate on balanced patches (``validation_positive_fraction``),
so they differ only in how training batches are drawn and in the initial learning rate.
"""
from segcls3d.training.schedule import ScheduleMixin
from segcls3d.training.schedules import SHORT_SCHEDULE_LR
from segcls3d.training.segcls import nnUNetTrainerSegCls
from segcls3d.training.uniform_sampling import nnUNetTrainerSegClsUniformSampling

CONVERGENCE = (20, 40, 5)


class nnUNetTrainerSegClsDefault_conv(ScheduleMixin, nnUNetTrainerSegCls):
    """SegCls as it trains by default (label-aware sampling, half the batch foreground-forced) at 3e-2 (``_exp``)."""

    schedule = CONVERGENCE
    final_validation_needs_npz = True
    learning_rate = SHORT_SCHEDULE_LR


class nnUNetTrainerSegCls_conv(nnUNetTrainerSegClsDefault_conv):
    """Label-aware case sampling only: nnU-Net's forced-foreground share and initial learning rate."""

    foreground_share = None
    learning_rate = None


class nnUNetTrainerSegClsUniformSampling_conv(ScheduleMixin, nnUNetTrainerSegClsUniformSampling):
    """nnU-Net's uniform draw, forced-foreground share and initial learning rate (the old default)."""

    schedule = CONVERGENCE
    final_validation_needs_npz = True


class nnUNetTrainerSegClsShortLR_conv(nnUNetTrainerSegCls_conv):
    """Label-aware case sampling and the short schedules' initial learning rate."""

    learning_rate = SHORT_SCHEDULE_LR
