"""nnUNetTrainerMultitask and its short-schedule variants (defined in segcls3d; found via nnUNet_extTrainer)."""
from segcls3d.training.trainers import nnUNetTrainerMultitask
from segcls3d.training.variants import (
    nnUNetTrainerMultitask_1epoch,
    nnUNetTrainerMultitask_5epochs,
    nnUNetTrainerMultitask_demo,
    nnUNetTrainerMultitask_smoke,
)

__all__ = [
    "nnUNetTrainerMultitask",
    "nnUNetTrainerMultitask_1epoch",
    "nnUNetTrainerMultitask_5epochs",
    "nnUNetTrainerMultitask_demo",
    "nnUNetTrainerMultitask_smoke",
]
