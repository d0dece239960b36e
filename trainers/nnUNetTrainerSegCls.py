"""nnUNetTrainerSegCls and its short-schedule variants (defined in segcls3d; found via nnUNet_extTrainer)."""
from segcls3d.training.trainers import nnUNetTrainerSegCls
from segcls3d.training.variants import (
    nnUNetTrainerSegCls_1epoch,
    nnUNetTrainerSegCls_5epochs,
    nnUNetTrainerSegCls_demo,
    nnUNetTrainerSegCls_smoke,
)

__all__ = [
    "nnUNetTrainerSegCls",
    "nnUNetTrainerSegCls_1epoch",
    "nnUNetTrainerSegCls_5epochs",
    "nnUNetTrainerSegCls_demo",
    "nnUNetTrainerSegCls_smoke",
]
