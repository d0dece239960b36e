"""Short-schedule variants of the semi-supervised trainers (nnU-Net's ``_Nepochs`` naming)."""
from __future__ import annotations

import torch

from segcls3d.training.semisup_trainers import (nnUNetTrainerCrossTeach, nnUNetTrainerMeanTeacher,
                                                nnUNetTrainerSoftTargets)
from segcls3d.training.variants import _short_schedule

_CUDA = torch.device("cuda")


class nnUNetTrainerMeanTeacher_1epoch(nnUNetTrainerMeanTeacher):
    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        self.num_epochs = 1


class nnUNetTrainerMeanTeacher_5epochs(nnUNetTrainerMeanTeacher):
    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        self.num_epochs = 5


class nnUNetTrainerMeanTeacher_smoke(nnUNetTrainerMeanTeacher):
    """2 epochs x 10 iterations: exercises the whole pipeline (tests), learns next to nothing."""

    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        _short_schedule(self, 2, 10, 2)


class nnUNetTrainerCrossTeach_1epoch(nnUNetTrainerCrossTeach):
    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        self.num_epochs = 1


class nnUNetTrainerCrossTeach_5epochs(nnUNetTrainerCrossTeach):
    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        self.num_epochs = 5


class nnUNetTrainerCrossTeach_smoke(nnUNetTrainerCrossTeach):
    """2 epochs x 10 iterations with the smallest SwinUNETR (feature size 12), for CPU tests."""

    transformer_feature_size = 12

    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        _short_schedule(self, 2, 10, 2)


class nnUNetTrainerSoftTargets_1epoch(nnUNetTrainerSoftTargets):
    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        self.num_epochs = 1


class nnUNetTrainerSoftTargets_5epochs(nnUNetTrainerSoftTargets):
    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        self.num_epochs = 5


class nnUNetTrainerSoftTargets_smoke(nnUNetTrainerSoftTargets):
    """2 epochs x 10 iterations: exercises the whole pipeline (tests), learns next to nothing."""

    def __init__(self, plans: dict, configuration: str, fold: int, dataset_json: dict, device: torch.device = _CUDA):
        super().__init__(plans, configuration, fold, dataset_json, device)
        _short_schedule(self, 2, 10, 2)
