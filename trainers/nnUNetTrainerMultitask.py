"""nnUNetTrainerMultitask and its schedules (defined in segcls3d; found via nnUNet_extTrainer)."""
from segcls3d.training.multitask import nnUNetTrainerMultitask
from segcls3d.training.variants import (
                                        nnUNetTrainerMultitask_5epochs,
                                        nnUNetTrainerMultitask_demo,
                                        nnUNetTrainerMultitask_exp,
)

__all__ = ["nnUNetTrainerMultitask", "nnUNetTrainerMultitask_5epochs", "nnUNetTrainerMultitask_demo",
           "nnUNetTrainerMultitask_exp"]
