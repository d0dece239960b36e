"""nnU-Net finds these trainers here (nnUNet_extTrainer); they are defined in segcls3d.training.multimix."""
from segcls3d.training.multimix.trainer import nnUNetTrainerMultiMix
from segcls3d.training.multimix.variants import (
           nnUNetTrainerMultiMix_5epochs,
           nnUNetTrainerMultiMix_demo,
           nnUNetTrainerMultiMix_exp,
)

__all__ = ["nnUNetTrainerMultiMix", "nnUNetTrainerMultiMix_5epochs", "nnUNetTrainerMultiMix_demo",
           "nnUNetTrainerMultiMix_exp"]
