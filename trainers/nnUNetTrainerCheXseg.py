"""nnU-Net finds these trainers here (nnUNet_extTrainer); they are defined in segcls3d.training.chexseg."""
from segcls3d.training.chexseg.trainer import nnUNetTrainerCheXseg
from segcls3d.training.chexseg.variants import (
    nnUNetTrainerCheXseg_5epochs,
    nnUNetTrainerCheXseg_demo,
    nnUNetTrainerCheXseg_exp,
    nnUNetTrainerCheXseg_p00,
    nnUNetTrainerCheXseg_p00_exp,
    nnUNetTrainerCheXseg_p05,
    nnUNetTrainerCheXseg_p05_exp,
    nnUNetTrainerCheXseg_p10,
    nnUNetTrainerCheXseg_p10_exp,
)

__all__ = ["nnUNetTrainerCheXseg", "nnUNetTrainerCheXseg_5epochs", "nnUNetTrainerCheXseg_demo",
           "nnUNetTrainerCheXseg_exp", "nnUNetTrainerCheXseg_p00", "nnUNetTrainerCheXseg_p00_exp",
           "nnUNetTrainerCheXseg_p05", "nnUNetTrainerCheXseg_p05_exp", "nnUNetTrainerCheXseg_p10",
           "nnUNetTrainerCheXseg_p10_exp"]
