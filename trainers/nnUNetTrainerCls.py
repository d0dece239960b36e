"""nnUNetTrainerCls and its short-schedule variants (defined in segcls3d; found via nnUNet_extTrainer)."""
from segcls3d.training.trainers import nnUNetTrainerCls
from segcls3d.training.variants import (
    nnUNetTrainerCls_1epoch,
    nnUNetTrainerCls_5epochs,
    nnUNetTrainerCls_demo,
    nnUNetTrainerCls_smoke,
)

__all__ = [
    "nnUNetTrainerCls",
    "nnUNetTrainerCls_1epoch",
    "nnUNetTrainerCls_5epochs",
    "nnUNetTrainerCls_demo",
    "nnUNetTrainerCls_smoke",
]
