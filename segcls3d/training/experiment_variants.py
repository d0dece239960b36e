"""The experiment suite's CPU schedule (``_exp``): short training, final validation only with ``--npz``.

The suite evaluates every model on a separate test set, so nnU-Net's final validation of the
held-out fold is only needed where its probabilities are used: the out-of-fold predictions that
trained summarizers are fitted on (``nnUNetv2_train ... --npz``). Without ``--npz`` it is skipped,
which saves a worker-pool start and a sliding-window pass per training on a small CPU.
"""
from __future__ import annotations

from segcls3d.training.experiment_schedule import EXP_EPOCHS, EXP_ITERATIONS, EXP_VAL_ITERATIONS
from segcls3d.training.schedule import ScheduleMixin
from segcls3d.training.trainers import nnUNetTrainerCls, nnUNetTrainerMultitask, nnUNetTrainerSegCls


class FinalValidationWithNpzOnlyMixin:
    """Run nnU-Net's final validation only when its probabilities are exported (``--npz``)."""

    def perform_actual_validation(self, save_probabilities: bool = False):
        if not save_probabilities:
            self.print_to_log_file("segcls3d: final validation skipped (experiment schedule without --npz)")
            return
        super().perform_actual_validation(save_probabilities)


EXP = (EXP_EPOCHS, EXP_ITERATIONS, EXP_VAL_ITERATIONS)


class nnUNetTrainerSegCls_exp(FinalValidationWithNpzOnlyMixin, ScheduleMixin, nnUNetTrainerSegCls):
    """20 epochs x 40 iterations: the experiment suite's CPU schedule."""

    schedule = EXP


class nnUNetTrainerCls_exp(FinalValidationWithNpzOnlyMixin, ScheduleMixin, nnUNetTrainerCls):
    """20 epochs x 40 iterations: the experiment suite's CPU schedule."""

    schedule = EXP


class nnUNetTrainerMultitask_exp(FinalValidationWithNpzOnlyMixin, ScheduleMixin, nnUNetTrainerMultitask):
    """20 epochs x 40 iterations: the experiment suite's CPU schedule."""

    schedule = EXP
