"""The experiment suite's CPU schedule (``_exp``): short training, final validation only with ``--npz``.

The suite evaluates every model on a separate test set, so nnU-Net's final validation of the
held-out fold is only needed where its probabilities are used: the out-of-fold predictions that
trained summarizers are fitted on (``nnUNetv2_train ... --npz``). Without ``--npz`` it is skipped,
which saves a worker-pool start and a sliding-window pass per training on a small CPU.
"""
from __future__ import annotations

import torch

from segcls3d.training.experiment_schedule import EXP_EPOCHS, EXP_ITERATIONS, EXP_VAL_ITERATIONS
from segcls3d.training.trainers import nnUNetTrainerCls, nnUNetTrainerMultitask, nnUNetTrainerSegCls

_CUDA = torch.device("cuda")


class FinalValidationWithNpzOnlyMixin:
    """Run nnU-Net's final validation only when its probabilities are exported (``--npz``)."""

    def perform_actual_validation(self, save_probabilities: bool = False):
        if not save_probabilities:
            self.print_to_log_file("segcls3d: final validation skipped (experiment schedule without --npz)")
            return
        super().perform_actual_validation(save_probabilities)


def _experiment_schedule(trainer) -> None:
    trainer.num_epochs = EXP_EPOCHS
    trainer.num_iterations_per_epoch = EXP_ITERATIONS
    trainer.num_val_iterations_per_epoch = EXP_VAL_ITERATIONS


class nnUNetTrainerSegCls_exp(FinalValidationWithNpzOnlyMixin, nnUNetTrainerSegCls):
    """20 epochs x 40 iterations: the experiment suite's CPU schedule."""

    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        _experiment_schedule(self)


class nnUNetTrainerCls_exp(FinalValidationWithNpzOnlyMixin, nnUNetTrainerCls):
    """20 epochs x 40 iterations: the experiment suite's CPU schedule."""

    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        _experiment_schedule(self)


class nnUNetTrainerMultitask_exp(FinalValidationWithNpzOnlyMixin, nnUNetTrainerMultitask):
    """20 epochs x 40 iterations: the experiment suite's CPU schedule."""

    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        _experiment_schedule(self)
