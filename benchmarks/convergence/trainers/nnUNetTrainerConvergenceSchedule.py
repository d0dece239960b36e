"""The convergence benchmark's schedule (``_conv``): the experiment suite's 20 x 40 iterations, 5 validation batches.

Benchmark-only, like the tests' ``_smoke``: ``benchmarks/convergence/run_convergence.py`` adds this
folder to ``nnUNet_extTrainer``. Both arms validate on balanced patches (``validation_positive_fraction``),
so they differ only in how training batches are drawn (and, for ``ShortLR``, in the initial learning rate).
"""
from segcls3d.training.schedule import ScheduleMixin
from segcls3d.training.schedules import SHORT_SCHEDULE_LR
from segcls3d.training.segcls import nnUNetTrainerSegCls
from segcls3d.training.uniform_sampling import nnUNetTrainerSegClsUniformSampling

CONVERGENCE = (20, 40, 5)


class nnUNetTrainerSegCls_conv(ScheduleMixin, nnUNetTrainerSegCls):
    schedule = CONVERGENCE
    final_validation_needs_npz = True


class nnUNetTrainerSegClsUniformSampling_conv(ScheduleMixin, nnUNetTrainerSegClsUniformSampling):
    schedule = CONVERGENCE
    final_validation_needs_npz = True


class nnUNetTrainerSegClsShortLR_conv(nnUNetTrainerSegCls_conv):
    """Label-aware sampling and the short schedules' initial learning rate (what ``_exp`` trains with)."""

    learning_rate = SHORT_SCHEDULE_LR
