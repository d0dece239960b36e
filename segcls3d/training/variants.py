"""Short-schedule variants for smoke runs (nnU-Net's ``_Nepochs`` naming)."""
from __future__ import annotations

import torch

from segcls3d.training.trainers import nnUNetTrainerCls, nnUNetTrainerMultitask, nnUNetTrainerSegCls

_CUDA = torch.device("cuda")


class nnUNetTrainerSegCls_1epoch(nnUNetTrainerSegCls):
    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        self.num_epochs = 1


class nnUNetTrainerSegCls_5epochs(nnUNetTrainerSegCls):
    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        self.num_epochs = 5


class nnUNetTrainerCls_1epoch(nnUNetTrainerCls):
    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        self.num_epochs = 1


class nnUNetTrainerCls_5epochs(nnUNetTrainerCls):
    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        self.num_epochs = 5


class nnUNetTrainerMultitask_1epoch(nnUNetTrainerMultitask):
    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        self.num_epochs = 1


class nnUNetTrainerMultitask_5epochs(nnUNetTrainerMultitask):
    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        self.num_epochs = 5


def _short_schedule(trainer, epochs: int, iterations: int, val_iterations: int) -> None:
    trainer.num_epochs = epochs
    trainer.num_iterations_per_epoch = iterations
    trainer.num_val_iterations_per_epoch = val_iterations


class nnUNetTrainerSegCls_smoke(nnUNetTrainerSegCls):
    """2 epochs x 10 iterations: exercises the whole pipeline (tests), learns next to nothing."""

    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        _short_schedule(self, 2, 10, 2)


class nnUNetTrainerCls_smoke(nnUNetTrainerCls):
    """2 epochs x 10 iterations: exercises the whole pipeline (tests), learns next to nothing."""

    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        _short_schedule(self, 2, 10, 2)


class nnUNetTrainerMultitask_smoke(nnUNetTrainerMultitask):
    """2 epochs x 10 iterations: exercises the whole pipeline (tests), learns next to nothing."""

    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        _short_schedule(self, 2, 10, 2)


class nnUNetTrainerSegCls_demo(nnUNetTrainerSegCls):
    """30 epochs x 50 iterations: the CPU demo schedule (tiny plans, ~3 min on 2 cores)."""

    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        _short_schedule(self, 30, 50, 10)


class nnUNetTrainerCls_demo(nnUNetTrainerCls):
    """30 epochs x 50 iterations: the CPU demo schedule (tiny plans, ~3 min on 2 cores)."""

    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        _short_schedule(self, 30, 50, 10)


class nnUNetTrainerMultitask_demo(nnUNetTrainerMultitask):
    """30 epochs x 50 iterations: the CPU demo schedule (tiny plans, ~3 min on 2 cores)."""

    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        _short_schedule(self, 30, 50, 10)
