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
