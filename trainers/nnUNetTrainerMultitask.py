"""nnU-Net finds these trainers here (nnUNet_extTrainer); they are defined in segcls3d.training."""
from segcls3d.training.avg_pool import nnUNetTrainerMultitaskAvgPool
from segcls3d.training.multitask import nnUNetTrainerMultitask
from segcls3d.training.uniform_sampling import nnUNetTrainerMultitaskUniformSampling
from segcls3d.training.variants import (
           nnUNetTrainerMultitask_5epochs,
           nnUNetTrainerMultitask_demo,
           nnUNetTrainerMultitask_exp,
)

__all__ = ["nnUNetTrainerMultitask", "nnUNetTrainerMultitaskAvgPool", "nnUNetTrainerMultitaskUniformSampling",
           "nnUNetTrainerMultitask_5epochs", "nnUNetTrainerMultitask_demo", "nnUNetTrainerMultitask_exp"]
